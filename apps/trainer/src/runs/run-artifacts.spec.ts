import {
  appendTrainHistory,
  checkpointFileKey,
  checkpointManifestKey,
  logKey,
  MemoryObjectStore,
  putCheckpoint,
  putRunRecord,
  runRecordKey,
  sha256Hex,
  trainHistorySegmentKey,
  uploadKey,
} from '@slca/artifacts';
import { describe, expect, it } from 'vitest';
import { listRunArtifacts } from './run-artifacts';

const RUN = 'r1';
const point = {
  task: 0,
  tasks: 1,
  epoch: 0,
  epochs: 1,
  step: 0,
  steps: 1,
  loss: 1,
  lr: 0.1,
  backboneLr: 0.01,
};

async function storedRun() {
  const store = new MemoryObjectStore();
  const state = Buffer.from('checkpoint state');
  await putCheckpoint(store, RUN, 1, state, { task: 0 });
  // A checkpoint whose manifest never landed: its file is not part of the run yet.
  await store.put(checkpointFileKey(RUN, 2, 'state.safetensors'), Buffer.from('half written'));
  const staged = Buffer.from('staged upload');
  await store.put(uploadKey(RUN, sha256Hex(staged)), staged);
  await putRunRecord(store, RUN, { id: RUN });
  await store.put(logKey(RUN, 'trainer.log'), Buffer.from('a line\n'));
  await appendTrainHistory(store, RUN, 1, [point]);
  // Another run beside it.
  await putRunRecord(store, 'r10', { id: 'r10' });
  return { store, state };
}

describe('listRunArtifacts', () => {
  it('lists committed artifact files with their manifests’ digests and other objects hashed, sorted by key', async () => {
    const { store, state } = await storedRun();
    const objects = await listRunArtifacts(store, RUN);
    const hashed = async (key: string) => {
      const bytes = await store.get(key);
      return { key, size: bytes.length, sha256: sha256Hex(bytes) };
    };
    const expected = [
      { key: checkpointFileKey(RUN, 1, 'state.safetensors'), size: state.length, sha256: sha256Hex(state) },
      await hashed(checkpointManifestKey(RUN, 1)),
      await hashed(trainHistorySegmentKey(RUN, 1)),
      await hashed(logKey(RUN, 'trainer.log')),
      await hashed(runRecordKey(RUN)),
    ].sort((a, b) => a.key.localeCompare(b.key));
    expect(objects).toEqual(expected);
  });

  it('leaves out staging uploads, files of uncommitted artifacts and other runs', async () => {
    const { store } = await storedRun();
    const keys = (await listRunArtifacts(store, RUN)).map((o) => o.key);
    expect(keys.some((k) => k.includes('/uploads/'))).toBe(false);
    expect(keys).not.toContain(checkpointFileKey(RUN, 2, 'state.safetensors'));
    expect(keys.every((k) => k.startsWith('runs/r1/'))).toBe(true);
  });

  it('is empty for a run with no objects', async () => {
    expect(await listRunArtifacts(new MemoryObjectStore(), 'nothing')).toEqual([]);
  });
});
