import { describe, expect, it } from 'vitest';
import { classOrder } from './class-order';
import { DATASET_MANIFEST_SCHEMA, manifestDigest, type DatasetManifest } from './manifest';
import { buildSplit } from './split';

// Five classes, two train and one test file each.
const manifest: DatasetManifest = {
  schema: DATASET_MANIFEST_SCHEMA,
  name: 'five',
  classes: [0, 1, 2, 3, 4].map((id) => ({ id, name: `c${id}` })),
  train: [0, 1, 2, 3, 4].flatMap((c) => [
    { file: `train/${c}/a.png`, label: c, sha256: '0'.repeat(64) },
    { file: `train/${c}/b.png`, label: c, sha256: '1'.repeat(64) },
  ]),
  test: [0, 1, 2, 3, 4].map((c) => ({ file: `test/${c}/a.png`, label: c, sha256: '2'.repeat(64) })),
};

describe('buildSplit with seed 1993, 2 initial classes, increment 2', () => {
  const split = buildSplit(manifest, 1993, 2, 2);
  const order = classOrder(5, 1993);

  it('orders classes by the seed and cuts 2 + 2 + 1', () => {
    expect(split.classOrder).toEqual(order);
    expect(split.tasks.map((t) => t.classes)).toEqual([order.slice(0, 2), order.slice(2, 4), order.slice(4)]);
  });

  it('lists each task’s files in manifest order, and nothing twice', () => {
    const [a, b] = order;
    const inOrder = [a, b].sort((x, y) => x - y);
    expect(split.tasks[0].train).toEqual(inOrder.flatMap((c) => [`train/${c}/a.png`, `train/${c}/b.png`]));
    expect(split.tasks[0].test).toEqual(inOrder.map((c) => `test/${c}/a.png`));
    const all = split.tasks.flatMap((t) => [...t.train, ...t.test]);
    expect(new Set(all).size).toBe(15);
  });

  it('has a deterministic id and records the dataset digest', () => {
    expect(split.id).toBe('five.seed1993.init2.inc2');
    expect(split.datasetDigest).toBe(manifestDigest(manifest));
    expect(buildSplit(manifest, 1993, 2, 2)).toEqual(split);
    expect(buildSplit(manifest, 1996, 2, 2).classOrder).toEqual(classOrder(5, 1996));
  });

  it('rejects impossible task sizes naming the argument', () => {
    expect(() => buildSplit(manifest, 1993, 6, 2)).toThrow('initCls (6) must not exceed nClasses (5)');
    expect(() => buildSplit(manifest, 1993, 2, 0)).toThrow(/increment/);
  });
});
