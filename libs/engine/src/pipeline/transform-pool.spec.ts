import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Mt19937,
  planTransforms,
  randomCropBox,
  randomResizedCropBox,
  rgbImage,
  TransformError,
  transformBatch,
  type RgbImage,
  type TransformStep,
} from '@slca/data';
import { TransformPool } from './transform-pool';

/** Images of assorted sizes with seeded pixel values in [0, 1]. */
function images(sizes: [number, number][], seed: number): RgbImage[] {
  const rng = new Mt19937(seed);
  return sizes.map(([w, h]) => {
    const data = new Float32Array(w * h * 3);
    for (let i = 0; i < data.length; i++) data[i] = rng.randomSample();
    return rgbImage(w, h, data);
  });
}

const SIZES: [number, number][] = [
  [40, 30],
  [32, 32],
  [25, 50],
  [60, 41],
  [33, 33],
  [48, 20],
  [36, 44],
];
// The CIFAR-100 and CUB pipelines of docs/method.md §5.2 at 16 px instead of 224.
const CIFAR_LIKE: TransformStep[] = [
  { op: 'random-resized-crop', size: 16, scale: [0.08, 1], ratio: [3 / 4, 4 / 3] },
  { op: 'hflip', p: 0.5 },
  { op: 'brightness-jitter', brightness: 63 / 255 },
];
const CUB_LIKE: TransformStep[] = [
  { op: 'resize', size: [21, 21] },
  { op: 'random-crop', size: 16 },
  { op: 'hflip', p: 0.5 },
];

describe('planTransforms', () => {
  it("makes the steps' draws in the documented order and returns the concrete operations", () => {
    const steps: TransformStep[] = [
      { op: 'random-crop', size: 16 },
      { op: 'hflip', p: 1 },
      { op: 'brightness-jitter', brightness: 0.5 },
      { op: 'random-resized-crop', size: 8, scale: [0.2, 1], ratio: [0.5, 2] },
      { op: 'hflip', p: 0 },
      { op: 'center-crop', size: 6 },
    ];
    const plan = planTransforms(30, 20, steps, new Mt19937(11));
    // The same draws made by hand from the same seed.
    const rng = new Mt19937(11);
    const box = randomCropBox(30, 20, 16, rng);
    rng.randomSample(); // hflip p = 1: always flips
    const factor = 0.5 + 1 * rng.randomSample(); // [max(0, 1 − 0.5), 1 + 0.5]
    const rrc = randomResizedCropBox(16, 16, [0.2, 1], [0.5, 2], rng);
    rng.randomSample(); // hflip p = 0: never flips
    expect(plan).toEqual([
      { op: 'crop', box },
      { op: 'hflip' },
      { op: 'brightness', factor },
      { op: 'crop', box: rrc },
      { op: 'resize', width: 8, height: 8 },
      { op: 'crop', box: { top: 1, left: 1, height: 6, width: 6 } },
    ]);
  });
});

describe('TransformPool', () => {
  let pools: TransformPool[];
  beforeAll(async () => {
    pools = await Promise.all([1, 2, 3].map((n) => TransformPool.create(n)));
  });
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.close()));
  });

  it('gives transformBatch’s pixels bit for bit, and leaves the rng where it does, for any thread count', async () => {
    for (const steps of [CIFAR_LIKE, CUB_LIKE]) {
      const batch = images(SIZES, 5);
      const inlineRng = new Mt19937(1993);
      const expected = transformBatch(batch, steps, inlineRng, 16);
      const after = inlineRng.randomSample();
      for (const pool of pools) {
        const rng = new Mt19937(1993);
        const out = await pool.transformBatch(batch, steps, rng, 16);
        expect(out).toHaveLength(SIZES.length * 16 * 16 * 3);
        expect(Buffer.from(out.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
        expect(rng.randomSample()).toBe(after);
      }
    }
    // Transferring the inputs gives the same pixels and detaches them here.
    const moved = images(SIZES, 5);
    const out = await pools[1].transformBatch(moved, CIFAR_LIKE, new Mt19937(4), 16, { transfer: true });
    expect(out).toEqual(transformBatch(images(SIZES, 5), CIFAR_LIKE, new Mt19937(4), 16));
    expect(moved.every((image) => image.data.length === 0)).toBe(true);
    // A batch smaller than the pool, and an empty one.
    const two = images(SIZES.slice(0, 2), 6);
    expect(await pools[2].transformBatch(two, CUB_LIKE, new Mt19937(3), 16)).toEqual(
      transformBatch(two, CUB_LIKE, new Mt19937(3), 16),
    );
    expect(await pools[2].transformBatch([], CUB_LIKE, new Mt19937(3), 16)).toHaveLength(0);
  });

  it('names the first image the pipeline does not turn into size×size, as the inline path does', async () => {
    // Resizing the shorter side to 20 keeps a 20×30 image 20×30: not the 20×20 the model takes.
    const batch = images(
      [
        [20, 20],
        [24, 24],
        [20, 30],
        [20, 20],
        [30, 20],
      ],
      7,
    );
    const steps: TransformStep[] = [{ op: 'resize', size: 20 }];
    const message = 'the training pipeline turned image 2 (20×30) into 20×30, expected 20×20';
    expect(() => transformBatch(batch, steps, new Mt19937(0), 20)).toThrow(message);
    for (const pool of pools) {
      const failure = pool.transformBatch(batch, steps, new Mt19937(0), 20);
      await expect(failure).rejects.toThrow(message);
      await expect(failure).rejects.toBeInstanceOf(TransformError);
    }
    // The pool still works after a refused batch.
    const ok = images([[20, 20]], 8);
    expect(await pools[1].transformBatch(ok, steps, new Mt19937(0), 20)).toEqual(
      transformBatch(ok, steps, new Mt19937(0), 20),
    );
  });

  it('refuses a bad thread count and use after close', async () => {
    await expect(TransformPool.create(0)).rejects.toThrow('threads must be a positive integer, got 0');
    const pool = await TransformPool.create(1);
    await pool.close();
    await expect(pool.transformBatch(images([[16, 16]], 9), CUB_LIKE, new Mt19937(0), 16)).rejects.toThrow(
      'TransformPool: used after close()',
    );
  });
});
