import { flipShiftAugment, normalizeInPlace, type Mt19937 } from '@slca/data';
import type { ComputeDevice } from '../compute/device';
import type { GradientBatch } from '../compute/model-step';
import type { VitArch } from '../vit/arch';
import { patchify } from '../vit/forward';

/** Where an optimisation loop is: epoch and step (0-based) of how many, the last loss and learning rate. */
export interface StepProgress {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  loss: number;
  lr: number;
}

/** Images as [0,1] NHWC float32 with their labels. */
export interface ImageSet {
  images: Float32Array;
  labels: Int32Array;
  count: number;
}

export interface BatchOptions {
  arch: VitArch;
  augment: { flipProb: number; maxShift: number } | null;
  normalize: { mean: readonly number[]; std: readonly number[] };
  shards: number;
}

export function gatherImages(set: ImageSet, rows: readonly number[], per: number): Float32Array {
  const out = new Float32Array(rows.length * per);
  rows.forEach((r, i) => out.set(set.images.subarray(r * per, (r + 1) * per), i * per));
  return out;
}

/** Splits [0, n) into at most `shards` contiguous near-equal parts (never an empty one). */
export function shardRanges(n: number, shards: number): [number, number][] {
  const k = Math.min(shards, n);
  const out: [number, number][] = [];
  for (let s = 0; s < k; s++) out.push([Math.floor((s * n) / k), Math.floor(((s + 1) * n) / k)]);
  return out;
}

/**
 * The mean-loss gradient of one training batch: gathers the rows, augments them (drawing from `rng`),
 * normalises, patchifies, cuts the batch into shards, and has the device compute each shard and sum the
 * shard gradients in shard order, weighted by shard size, into `sum` (a shared buffer for a worker pool).
 * Returns the batch loss.
 */
export async function batchGradient(
  device: ComputeDevice,
  data: ImageSet,
  rows: readonly number[],
  labelOf: (row: number) => number,
  options: BatchOptions,
  rng: Mt19937,
  grads: Float32Array[],
  sum: Float32Array,
): Promise<number> {
  const { arch } = options;
  const n = rows.length;
  let imgs = gatherImages(data, rows, arch.imageSize * arch.imageSize * 3);
  if (options.augment) imgs = flipShiftAugment(imgs, n, arch.imageSize, rng, { ...options.augment, fill: 1 });
  normalizeInPlace(imgs, options.normalize.mean, options.normalize.std);
  const patches = patchify(imgs, n, arch);
  const patchLen = patches.length / n;
  const ranges = shardRanges(n, options.shards);
  const shards: GradientBatch[] = ranges.map(([a, b]) => ({
    patches: patches.slice(a * patchLen, b * patchLen),
    labels: Int32Array.from(rows.slice(a, b), labelOf),
    count: b - a,
  }));
  const weights = ranges.map(([a, b]) => (b - a) / n);
  const losses = await device.gradientsAndSum(shards, grads, weights, sum);
  let loss = 0;
  losses.forEach((l, k) => (loss += weights[k] * l));
  return loss;
}
