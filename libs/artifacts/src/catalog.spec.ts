import { createHash } from 'node:crypto';
import { buildSplit, DATASET_MANIFEST_SCHEMA, type DatasetManifest } from '@slca/data';
import { describe, expect, it } from 'vitest';
import {
  appendTrainHistory,
  readTrainHistory,
  getClassStatistics,
  getDataset,
  getSplit,
  listAccuracyRows,
  listDatasets,
  putAccuracyRow,
  putClassStatistics,
  putDataset,
  putSplit,
  samplesKey,
  uploadKey,
} from './catalog';
import { MemoryObjectStore } from './memory-store';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const files: Record<string, Buffer> = {
  'train/a/1.png': Buffer.from('image a1'),
  'train/b/1.png': Buffer.from('image b1'),
  'test/a/1.png': Buffer.from('image a1'), // same bytes as a training image: stored once
  'test/b/1.png': Buffer.from('image b2'),
};
const item = (file: string, label: number) => ({ file, label, sha256: sha(files[file]) });
const manifest: DatasetManifest = {
  schema: DATASET_MANIFEST_SCHEMA,
  name: 'two',
  classes: [
    { id: 0, name: 'a' },
    { id: 1, name: 'b' },
  ],
  train: [item('train/a/1.png', 0), item('train/b/1.png', 1)],
  test: [item('test/a/1.png', 0), item('test/b/1.png', 1)],
};
const read = async (file: string) => files[file];

describe('catalog: the typed artifacts the services share', () => {
  it('stores a dataset content-addressed and reads every file back verified', async () => {
    const store = new MemoryObjectStore();
    const stored = await putDataset(store, manifest, read);
    expect(stored.manifest).toEqual(manifest);
    expect(stored.artifact.files.map((f) => f.name).filter((n) => n.startsWith('images/'))).toHaveLength(3);
    const again = await getDataset(store, 'two');
    expect(await again.read('test/b/1.png')).toEqual(files['test/b/1.png']);
    await expect(again.read('test/c/1.png')).rejects.toMatchObject({ code: 'not_found' });
    expect(await listDatasets(store)).toEqual(['two']);
    // Registering the same manifest again is a no-op; different files under the name are refused.
    expect((await putDataset(store, manifest, read)).digest).toBe(stored.digest);
    const other = { ...manifest, test: [item('test/b/1.png', 0), item('test/a/1.png', 1)] };
    await expect(putDataset(store, other, read)).rejects.toMatchObject({ code: 'already_exists' });
  });

  it('refuses a file whose bytes do not match the manifest, and stores nothing', async () => {
    const store = new MemoryObjectStore();
    const tampered = async (file: string) => (file === 'test/b/1.png' ? Buffer.from('changed') : files[file]);
    await expect(putDataset(store, manifest, tampered)).rejects.toThrow(
      /test\/b\/1.png: content does not match/,
    );
    expect(await store.list('')).toEqual([]);
    await expect(getDataset(store, 'two')).rejects.toThrow('dataset two is not registered');
  });

  it('stores a split once and returns it', async () => {
    const store = new MemoryObjectStore();
    const split = buildSplit(manifest, 1993, 1, 1);
    await putSplit(store, split);
    await putSplit(store, split);
    expect((await getSplit(store, split.id)).split).toEqual(split);
    await expect(
      putSplit(store, { ...split, classOrder: [...split.classOrder].reverse() }),
    ).rejects.toMatchObject({
      code: 'already_exists',
    });
    await expect(getSplit(store, 'nope')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('class statistics and accuracy rows are write-once: the same bytes again pass, others are refused', async () => {
    const store = new MemoryObjectStore();
    const meta = { classLabel: 4, task: 1, count: 10, dim: 2 };
    const bytes = new Uint8Array(Float64Array.from([1, 2, 3, 0, 0, 3]).buffer);
    await putClassStatistics(store, 'r1', 4, bytes, meta);
    await putClassStatistics(store, 'r1', 4, bytes, meta);
    await expect(putClassStatistics(store, 'r1', 4, new Uint8Array(48), meta)).rejects.toMatchObject({
      code: 'already_exists',
    });
    const back = await getClassStatistics(store, 'r1', 4);
    expect(new Uint8Array(back.bytes)).toEqual(bytes);
    expect(back.manifest.meta).toEqual(meta);
    await expect(getClassStatistics(store, 'r1', 5)).rejects.toThrow('run r1 has no statistics for class 5');

    await putAccuracyRow(store, 'r1', { task: 0, accuracy: 50, perTask: [50] });
    await putAccuracyRow(store, 'r1', { task: 1, accuracy: 40, perTask: [30, 50] });
    await putAccuracyRow(store, 'r1', { task: 1, accuracy: 40, perTask: [30, 50] });
    await expect(
      putAccuracyRow(store, 'r1', { task: 1, accuracy: 41, perTask: [30, 52] }),
    ).rejects.toMatchObject({
      code: 'already_exists',
    });
    expect((await listAccuracyRows(store, 'r1')).map((r) => r.task)).toEqual([0, 1]);
  });

  it("names sampled features by their digest under the run, beside the run's uploads", () => {
    const digest = sha(Buffer.from('samples'));
    expect(samplesKey('r1', digest)).toBe(`runs/r1/samples/${digest}.f32`);
    expect(samplesKey('r1', digest)).not.toBe(uploadKey('r1', digest));
    expect(() => samplesKey('r1', 'ABC')).toThrow(/sha256/);
    expect(() => samplesKey('../r1', digest)).toThrow(/runId/);
  });

  it('appends training history in order and reads it back', async () => {
    const store = new MemoryObjectStore();
    const point = (step: number) => ({
      task: 0,
      tasks: 2,
      epoch: 0,
      epochs: 1,
      step,
      steps: 3,
      loss: 1 / (step + 1),
      lr: 0.01,
      backboneLr: 1e-4,
    });
    expect(await readTrainHistory(store, 'r1')).toEqual([]);
    await appendTrainHistory(store, 'r1', 1, [point(0), point(1)]);
    await appendTrainHistory(store, 'r1', 2, []);
    await appendTrainHistory(store, 'r1', 3, [point(2)]);
    expect(await readTrainHistory(store, 'r1')).toEqual([point(0), point(1), point(2)]);
  });
});
