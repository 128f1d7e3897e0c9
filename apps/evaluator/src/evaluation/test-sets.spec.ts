import type { StoredDataset } from '@slca/artifacts';
import type { ImageSet } from '@slca/engine';
import { describe, expect, it } from 'vitest';
import { TestSetCache } from './test-sets';

/** A stored dataset with `tests` test images (only the manifest's test list and the digest matter here). */
const dataset = (digest: string, tests: number) =>
  ({
    digest,
    manifest: { test: Array.from({ length: tests }, (_, i) => ({ file: `${i}.png`, label: 0 })) },
  }) as unknown as StoredDataset;

function counting() {
  const loads: string[] = [];
  const load = async (d: StoredDataset, size: number): Promise<ImageSet> => {
    loads.push(`${d.digest}@${size}`);
    const count = d.manifest.test.length;
    return { images: new Float32Array(count * size * size * 3), labels: new Int32Array(count), count };
  };
  return { loads, load };
}

describe('the decoded-test-set cache', () => {
  it('keeps sets within its pixel budget, evicting the least recently used first', async () => {
    const { loads, load } = counting();
    // 10 images at 4 px = 160 pixels each; room for two.
    const cache = new TestSetCache(350, load);
    const a = dataset('a', 10);
    const b = dataset('b', 10);
    const c = dataset('c', 10);
    const first = await cache.get(a, 4);
    expect(await cache.get(a, 4)).toBe(first);
    await cache.get(b, 4);
    expect(cache.pixels).toBe(320);
    await cache.get(a, 4); // a is now the most recently used
    await cache.get(c, 4); // evicts b
    expect(cache.keys()).toEqual(['a@4', 'c@4']);
    expect(cache.pixels).toBe(320);
    await cache.get(b, 4);
    expect(cache.keys()).toEqual(['c@4', 'b@4']);
    expect(loads).toEqual(['a@4', 'b@4', 'c@4', 'b@4']);
    expect(cache.pixels).toBeLessThanOrEqual(cache.budgetPixels);
  });

  it('never keeps a set larger than the whole budget, and says it does not fit', async () => {
    const { loads, load } = counting();
    const cache = new TestSetCache(100, load);
    const big = dataset('big', 10);
    expect(cache.fits(big, 4)).toBe(false);
    expect(cache.fits(big, 3)).toBe(true);
    await cache.get(big, 4);
    await cache.get(big, 4);
    expect(loads).toEqual(['big@4', 'big@4']);
    expect(cache.keys()).toEqual([]);
    expect(cache.pixels).toBe(0);
  });

  it('does not keep a failed decode', async () => {
    let fail = true;
    const cache = new TestSetCache(1000, async (d, size) => {
      if (fail) throw new Error('decode failed');
      return { images: new Float32Array(size * size * 3), labels: new Int32Array(1), count: 1 };
    });
    const a = dataset('a', 1);
    await expect(cache.get(a, 4)).rejects.toThrow('decode failed');
    expect(cache.keys()).toEqual([]);
    expect(cache.pixels).toBe(0);
    fail = false;
    expect((await cache.get(a, 4)).count).toBe(1);
    expect(cache.keys()).toEqual(['a@4']);
  });
});
