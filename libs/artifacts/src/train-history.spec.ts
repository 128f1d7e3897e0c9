import { describe, expect, it } from 'vitest';
import { appendTrainHistory, readTrainHistory, type TrainHistoryPoint } from './catalog';
import {
  legacyTrainHistoryKey,
  trainHistoryPrefix,
  trainHistorySegmentKey,
  trainHistorySeqOf,
} from './layout';
import { MemoryObjectStore } from './memory-store';
import type { PutOptions } from './store';

/** A memory store that counts what goes over the wire: bytes and keys written, keys read. */
class CountingStore extends MemoryObjectStore {
  written: { key: string; bytes: number }[] = [];
  read: string[] = [];

  override async put(key: string, body: Uint8Array, options?: PutOptions): Promise<void> {
    this.written.push({ key, bytes: body.length });
    return super.put(key, body, options);
  }

  override async get(key: string): Promise<Buffer> {
    this.read.push(key);
    return super.get(key);
  }

  reset(): void {
    this.written = [];
    this.read = [];
  }
}

const RUN = 'r1';
const point = (step: number, task = 0): TrainHistoryPoint => ({
  task,
  tasks: 2,
  epoch: 0,
  epochs: 1,
  step,
  steps: 1_000,
  loss: 1 / (step + 1),
  lr: 0.01,
  backboneLr: 1e-4,
});
const steps = (from: number, count: number) => Array.from({ length: count }, (_, i) => point(from + i));
const ndjsonBytes = (points: TrainHistoryPoint[]) =>
  Buffer.byteLength(points.map((p) => `${JSON.stringify(p)}\n`).join(''));

describe('training history layout', () => {
  it('keeps one segment per checkpoint under runs/<id>/history/, zero-padded so key order is sequence order', () => {
    expect(trainHistoryPrefix(RUN)).toBe('runs/r1/history/');
    expect(trainHistorySegmentKey(RUN, 7)).toBe('runs/r1/history/00000007.jsonl');
    expect(trainHistorySegmentKey(RUN, 10) > trainHistorySegmentKey(RUN, 9)).toBe(true);
    expect(trainHistorySeqOf(RUN, trainHistorySegmentKey(RUN, 42))).toBe(42);
    expect(legacyTrainHistoryKey(RUN)).toBe('runs/r1/metrics/train.jsonl');
  });

  it('refuses sequence numbers that are not keys, and recognises only its own segments', () => {
    for (const seq of [-1, 1.5, 1e8, Number.NaN])
      expect(() => trainHistorySegmentKey(RUN, seq)).toThrow(/historySeq/);
    expect(() => trainHistorySegmentKey('../r1', 1)).toThrow(/runId/);
    expect(trainHistorySeqOf(RUN, 'runs/r1/history/7.jsonl')).toBeUndefined();
    expect(trainHistorySeqOf(RUN, 'runs/r1/history/00000007.json')).toBeUndefined();
    expect(trainHistorySeqOf(RUN, 'runs/r10/history/00000007.jsonl')).toBeUndefined();
    expect(trainHistorySeqOf(RUN, legacyTrainHistoryKey(RUN))).toBeUndefined();
  });
});

describe('appendTrainHistory / readTrainHistory', () => {
  it('an append writes only its own points, one object, and reads nothing: the cost does not grow with the history', async () => {
    const store = new CountingStore();
    const perAppend: { key: string; bytes: number }[][] = [];
    for (let seq = 1; seq <= 200; seq += 1) {
      store.reset();
      await appendTrainHistory(store, RUN, seq, steps((seq - 1) * 25, 25));
      perAppend.push(store.written);
      expect(store.read).toEqual([]);
    }
    perAppend.forEach((writes, i) => {
      expect(writes).toEqual([
        { key: trainHistorySegmentKey(RUN, i + 1), bytes: ndjsonBytes(steps(i * 25, 25)) },
      ]);
    });
    // The 200th append costs what the first did (same point count; the step numbers differ by a few digits).
    expect(perAppend[199][0].bytes).toBeLessThan(perAppend[0][0].bytes * 1.1);
    // Everything written adds up to the history itself: linear, not quadratic.
    const total = perAppend.flat().reduce((n, w) => n + w.bytes, 0);
    expect(total).toBe(ndjsonBytes(steps(0, 200 * 25)));
  });

  it('never rewrites an earlier segment', async () => {
    const store = new CountingStore();
    await appendTrainHistory(store, RUN, 1, steps(0, 3));
    const first = await store.get(trainHistorySegmentKey(RUN, 1));
    await appendTrainHistory(store, RUN, 2, steps(3, 3));
    await appendTrainHistory(store, RUN, 3, steps(6, 3));
    expect(store.written.map((w) => w.key)).toEqual([1, 2, 3].map((s) => trainHistorySegmentKey(RUN, s)));
    expect(await store.get(trainHistorySegmentKey(RUN, 1))).toEqual(first);
  });

  it('reads every point back in sequence order, whatever order the segments were written in', async () => {
    const store = new MemoryObjectStore();
    expect(await readTrainHistory(store, RUN)).toEqual([]);
    await appendTrainHistory(store, RUN, 10, steps(9, 2));
    await appendTrainHistory(store, RUN, 2, steps(0, 4));
    await appendTrainHistory(store, RUN, 9, steps(4, 5));
    expect(await readTrainHistory(store, RUN)).toEqual(steps(0, 11));
  });

  it('writes nothing for no points, and a run resumed from the checkpoint before rewrites that segment instead of adding to it', async () => {
    const store = new CountingStore();
    await appendTrainHistory(store, RUN, 1, []);
    expect(store.written).toEqual([]);
    await appendTrainHistory(store, RUN, 1, steps(0, 2));
    await appendTrainHistory(store, RUN, 2, steps(2, 2)); // checkpoint 2 never landed…
    await appendTrainHistory(store, RUN, 2, steps(2, 2)); // …so the run repeats those steps from checkpoint 1
    expect(await readTrainHistory(store, RUN)).toEqual(steps(0, 4));
  });

  it('reads a run stored before segments (one metrics/train.jsonl object), and what it appends after it', async () => {
    const store = new CountingStore();
    const old = steps(0, 3);
    await store.put(
      legacyTrainHistoryKey(RUN),
      Buffer.from(old.map((p) => `${JSON.stringify(p)}\n`).join('')),
    );
    expect(await readTrainHistory(store, RUN)).toEqual(old);
    store.reset();
    await appendTrainHistory(store, RUN, 4, steps(3, 2));
    // The old object is left as it was.
    expect(store.written.map((w) => w.key)).toEqual([trainHistorySegmentKey(RUN, 4)]);
    expect(await readTrainHistory(store, RUN)).toEqual(steps(0, 5));
  });

  it('ignores objects under the history folder that are not segments, and other runs’ histories', async () => {
    const store = new MemoryObjectStore();
    await appendTrainHistory(store, RUN, 1, steps(0, 1));
    await appendTrainHistory(store, 'r10', 1, steps(100, 1));
    await store.put(`${trainHistoryPrefix(RUN)}notes.txt`, Buffer.from('not json'));
    expect(await readTrainHistory(store, RUN)).toEqual(steps(0, 1));
  });
});
