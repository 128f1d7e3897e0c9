import { classOrder } from '@slca/data';
import { describe, expect, it } from 'vitest';
import { randomBackbone } from '../weights/vit-weights';
import { TINY_ARCH, tinyConfig, tinyDataset } from '../../test/tiny-experiment';
import { shardRanges } from '../train/batch-gradient';
import { runExperiment, streamRng, type ProgressEvent } from './experiment';

const backbone = () => randomBackbone(TINY_ARCH, streamRng(1, 'test-init'));

describe('runExperiment on a tiny synthetic benchmark', () => {
  it('runs SLCA end to end: 3 tasks, a lower-triangular accuracy matrix, metrics derived from it', async () => {
    const events: ProgressEvent[] = [];
    const r = await runExperiment(tinyConfig('slca'), tinyDataset(), backbone(), {
      onProgress: (e) => events.push(e),
    });
    expect(r.taskSizes).toEqual([2, 2, 2]);
    expect(r.classOrder).toEqual(classOrder(6, 1993));
    expect(r.backend.name).toBe('wasm');
    expect(r.accuracyMatrix).toHaveLength(3);
    r.accuracyMatrix.forEach((row, i) =>
      row.forEach((v, j) => (j <= i ? expect(v).not.toBeNull() : expect(v).toBeNull())),
    );
    expect(r.lastAcc).toBe(r.accuracies[2]);
    expect(r.incAcc).toBeCloseTo((r.accuracies[0] + r.accuracies[1] + r.accuracies[2]) / 3, 12);
    // forgetting from the matrix: mean over j<2 of max_{i<2} R[i][j] − R[2][j]
    const R = r.accuracyMatrix as number[][];
    const expectedForgetting = (Math.max(R[0][0], R[1][0]) - R[2][0] + (R[1][1] - R[2][1])) / 2;
    expect(r.forgetting).toBeCloseTo(expectedForgetting, 10);
    // alignment ran on tasks 2 and 3 only (t ≥ 1), statistics after every task
    expect(events.filter((e) => e.phase === 'align').length).toBeGreaterThan(0);
    expect(new Set(events.filter((e) => e.phase === 'align').map((e) => e.task))).toEqual(new Set([1, 2]));
    expect(events.filter((e) => e.phase === 'statistics')).toHaveLength(3);
    expect(r.tasks.map((t) => t.trainImages)).toEqual([12, 12, 12]);
    // Each step reports its batch: one epoch's steps of a task add up to the task's training images.
    const train = events.filter((e) => e.phase === 'train');
    for (const task of [0, 1, 2])
      expect(train.filter((e) => e.task === task && e.epoch === 0).reduce((n, e) => n + e.images, 0)).toBe(
        12,
      );
    expect(r.tasks[0].classes).toEqual(classOrder(6, 1993).slice(0, 2));
  });

  it('is bit-identical for the same seed, and for 0 and 2 worker threads', async () => {
    const data = tinyDataset();
    const a = await runExperiment(tinyConfig('slca', 1993, 0), data, backbone());
    const b = await runExperiment(tinyConfig('slca', 1993, 0), data, backbone());
    const c = await runExperiment(tinyConfig('slca', 1993, 2), data, backbone());
    for (const other of [b, c]) {
      expect(other.accuracyMatrix).toEqual(a.accuracyMatrix);
      expect(other.tasks.map((t) => t.epochLosses)).toEqual(a.tasks.map((t) => t.epochLosses));
      expect(other.tasks.map((t) => t.alignLosses)).toEqual(a.tasks.map((t) => t.alignLosses));
    }
    expect(c.workers).toBe(2);
  });

  it('a different seed gives a different class order and different training', async () => {
    const data = tinyDataset();
    const a = await runExperiment(tinyConfig('sl', 1993), data, backbone());
    const b = await runExperiment(tinyConfig('sl', 1996), data, backbone());
    expect(b.classOrder).toEqual(classOrder(6, 1996));
    expect(b.classOrder).not.toEqual(a.classOrder);
    expect(b.tasks[0].epochLosses).not.toEqual(a.tasks[0].epochLosses);
  });

  it('methods differ only where docs/method.md says: Seq FT trains the backbone at the head lr, SL has no alignment', async () => {
    const seqft = tinyConfig('seqft');
    const sl = tinyConfig('sl');
    expect(seqft.stage1.backboneLrScale).toBe(1);
    expect(sl.stage1.backboneLrScale).toBe(0.01);
    expect(seqft.alignment).toBeNull();
    expect(sl.alignment).toBeNull();
    expect(tinyConfig('slca').alignment?.logitNorm).toBe(true);
    expect(tinyConfig('slca-noln').alignment?.logitNorm).toBe(false);
    const events: ProgressEvent[] = [];
    const r = await runExperiment(sl, tinyDataset(), backbone(), { onProgress: (e) => events.push(e) });
    expect(events.some((e) => e.phase === 'align' || e.phase === 'statistics')).toBe(false);
    expect(r.tasks.every((t) => t.alignLosses.length === 0)).toBe(true);
  });

  it('joint training learns all classes as one task', async () => {
    const r = await runExperiment(tinyConfig('joint'), tinyDataset(), backbone());
    expect(r.taskSizes).toEqual([6]);
    expect(r.accuracyMatrix).toHaveLength(1);
    expect(r.lastAcc).toBe(r.accuracies[0]);
    expect(r.forgetting).toBe(0);
  });

  it('fails loudly when training diverges, naming where', async () => {
    const bad = backbone();
    bad.fill(Number.NaN, 0, 10);
    await expect(runExperiment(tinyConfig('sl'), tinyDataset(), bad)).rejects.toThrow(
      /training diverged: loss NaN at task 1, epoch 1, step 1/,
    );
  });

  it('refuses a dataset with an empty class or a label out of range, naming it', async () => {
    const data = tinyDataset();
    data.test.labels[0] = 9;
    await expect(runExperiment(tinyConfig('sl'), data, backbone())).rejects.toThrow(
      /test image 0 has label 9, outside 0..5/,
    );
    const missing = tinyDataset();
    missing.train.labels = missing.train.labels.map((l) => (l === 4 ? 3 : l));
    await expect(runExperiment(tinyConfig('sl'), missing, backbone())).rejects.toThrow(
      /class 4 has no train images/,
    );
  });

  it('refuses a backbone of the wrong size and invalid hyper-parameters', async () => {
    await expect(runExperiment(tinyConfig('sl'), tinyDataset(), new Float32Array(10))).rejects.toThrow(
      /backbone has 10 values/,
    );
    const cfg = tinyConfig('sl');
    cfg.stage1.batchSize = 0;
    await expect(runExperiment(cfg, tinyDataset(), backbone())).rejects.toThrow(
      /stage1.batchSize must be a positive integer/,
    );
  });

  it('shards a batch into contiguous near-equal ranges, never empty', () => {
    expect(shardRanges(5, 2)).toEqual([
      [0, 2],
      [2, 5],
    ]);
    expect(shardRanges(1, 2)).toEqual([[0, 1]]);
  });
});
