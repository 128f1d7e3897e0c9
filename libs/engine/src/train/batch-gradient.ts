import { flipShiftAugment, normalizeInPlace, type Mt19937, type TransformStep } from '@slca/data';
import { type ComputeDevice, type GradientBatch, type VitArch, patchify } from '@slca/compute';

/** Where an optimisation loop is: epoch and step (0-based) of how many, the last loss and learning rate. */
export interface StepProgress {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  loss: number;
  lr: number;
}

/**
 * Images the engine reads by row without holding them: decoded (and transformed) on demand, so a
 * dataset at its source sizes (CIFAR-100 at 224 px would be 30 GB as float32) costs only its batches.
 */
export interface LazyImages {
  /** The deterministic view of `rows` (e.g. the test transform): [0,1] NHWC float32 at the model's size. */
  read(rows: readonly number[]): Promise<Float32Array>;
  /**
   * The rows through a random training pipeline, every draw taken from `rng` in row order; [0,1] NHWC
   * float32 at the model's size.
   */
  transform(rows: readonly number[], steps: readonly TransformStep[], rng: Mt19937): Promise<Float32Array>;
}

/**
 * Images with their labels: either decoded once ([0,1] NHWC float32 at the model's size) or read on
 * demand through a {@link LazyImages} source.
 */
export type ImageSet = DecodedImageSet | { source: LazyImages; labels: Int32Array; count: number };

/** Images decoded once: [0,1] NHWC float32 at the model's size, with their labels. */
export interface DecodedImageSet {
  images: Float32Array;
  labels: Int32Array;
  count: number;
}

/** A stage-1 augmentation: flips and shifts on decoded images, or a torchvision-style pipeline on sources. */
export type TrainAugment = { flipProb: number; maxShift: number } | { transforms: TransformStep[] };

export interface BatchOptions {
  arch: VitArch;
  augment: TrainAugment | null;
  normalize: { mean: readonly number[]; std: readonly number[] };
  shards: number;
}

/** Copies rows of a decoded set into one batch. */
export function gatherImages(set: DecodedImageSet, rows: readonly number[], per: number): Float32Array {
  const out = new Float32Array(rows.length * per);
  rows.forEach((r, i) => out.set(set.images.subarray(r * per, (r + 1) * per), i * per));
  return out;
}

/** The rows of either kind of set, un-augmented: [0,1] NHWC float32, `per` values each. */
export async function readRows(set: ImageSet, rows: readonly number[], per: number): Promise<Float32Array> {
  if ('images' in set) return gatherImages(set, rows, per);
  const out = await set.source.read(rows);
  if (out.length !== rows.length * per)
    throw new Error(`image source returned ${out.length} values for ${rows.length} images of ${per}`);
  return out;
}

/** The rows as stage 1 sees them: augmented as `augment` says, drawing from `rng`. */
export async function trainingRows(
  set: ImageSet,
  rows: readonly number[],
  imageSize: number,
  augment: TrainAugment | null,
  rng: Mt19937,
): Promise<Float32Array> {
  const per = imageSize * imageSize * 3;
  if (augment && 'transforms' in augment) {
    if (!('source' in set))
      throw new Error(
        'a training pipeline (stage1.augment.transforms) needs the images at their source sizes: load the dataset with loadManifestSource',
      );
    const out = await set.source.transform(rows, augment.transforms, rng);
    if (out.length !== rows.length * per)
      throw new Error(
        `the training pipeline returned ${out.length} values for ${rows.length} images of ${per}`,
      );
    return out;
  }
  const imgs = await readRows(set, rows, per);
  return augment ? flipShiftAugment(imgs, rows.length, imageSize, rng, { ...augment, fill: 1 }) : imgs;
}

/**
 * A prompted model's prompts for one batch: each row's query and selected prompts given (aligned with the
 * rows), or `select` — the queries are then the device's un-prompted features of this step's augmented
 * images (as the references compute them), and `select` picks the prompts from them, batch-wide.
 */
export type BatchPrompts =
  { queries: Float32Array; index: Int32Array } | { select: (queries: Float32Array) => Int32Array };

/** Splits [0, n) into at most `shards` contiguous near-equal parts (never an empty one). */
export function shardRanges(n: number, shards: number): [number, number][] {
  const k = Math.min(shards, n);
  const out: [number, number][] = [];
  for (let s = 0; s < k; s++) out.push([Math.floor((s * n) / k), Math.floor(((s + 1) * n) / k)]);
  return out;
}

/** One training batch read, augmented, normalised, patchified and cut into shards: all but its gradient. */
export interface PreparedBatch {
  rows: readonly number[];
  /** Patchified images, row after row. */
  patches: Float32Array;
  /** Each shard's rows, [start, end) into `rows`. */
  ranges: [number, number][];
  labels: Int32Array;
}

/**
 * Reads the rows, augments them (drawing from `rng`), normalises, patchifies and cuts the batch into
 * shards. Every random draw of the batch is made here, so the next batch can be prepared while the device
 * computes this one's gradient without changing any draw.
 */
export async function prepareBatch(
  data: ImageSet,
  rows: readonly number[],
  labelOf: (row: number) => number,
  options: BatchOptions,
  rng: Mt19937,
): Promise<PreparedBatch> {
  const { arch } = options;
  const n = rows.length;
  const imgs = await trainingRows(data, rows, arch.imageSize, options.augment, rng);
  normalizeInPlace(imgs, options.normalize.mean, options.normalize.std);
  return {
    rows,
    patches: patchify(imgs, n, arch),
    ranges: shardRanges(n, options.shards),
    labels: Int32Array.from(rows, labelOf),
  };
}

/**
 * The mean-loss gradient of one training batch: reads the rows, augments them (drawing from `rng`),
 * normalises, patchifies, cuts the batch into shards (a prompted model: with each row's query and
 * selected prompts, `prompts`), and has the device compute each shard and sum the
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
  sum: Float32Array,
  promptsGiven?: BatchPrompts,
): Promise<number> {
  const batch = await prepareBatch(data, rows, labelOf, options, rng);
  return preparedBatchGradient(device, batch, options, sum, promptsGiven);
}

/**
 * batchGradient of a batch already prepared. Its gradient messages are posted before the returned promise
 * first waits (for a batch without prompts to select), so the caller can prepare the next batch meanwhile.
 */
export async function preparedBatchGradient(
  device: ComputeDevice,
  batch: PreparedBatch,
  options: BatchOptions,
  sum: Float32Array,
  promptsGiven?: BatchPrompts,
): Promise<number> {
  const { arch } = options;
  const { patches, ranges } = batch;
  const n = batch.rows.length;
  const patchLen = patches.length / n;
  let prompts: { queries: Float32Array; index: Int32Array } | undefined;
  if (promptsGiven && 'select' in promptsGiven) {
    // Every query before any gradient: a batch-wide selection needs the whole batch's (one chunk a shard).
    const chunks = ranges.map(([a, b]) => ({
      patches: patches.slice(a * patchLen, b * patchLen),
      count: b - a,
    }));
    const queries = new Float32Array(n * arch.dim);
    (await device.features(chunks, { unprompted: true })).forEach((f, k) =>
      queries.set(f, ranges[k][0] * arch.dim),
    );
    prompts = { queries, index: promptsGiven.select(queries) };
  } else prompts = promptsGiven;
  const shards: GradientBatch[] = ranges.map(([a, b]) => ({
    patches: patches.slice(a * patchLen, b * patchLen),
    labels: batch.labels.slice(a, b),
    count: b - a,
    ...(prompts && {
      queries: prompts.queries.slice(a * arch.dim, b * arch.dim),
      promptIndex: prompts.index.slice((a * prompts.index.length) / n, (b * prompts.index.length) / n),
    }),
  }));
  const weights = ranges.map(([a, b]) => (b - a) / n);
  const losses = await device.gradientsAndSum(shards, weights, sum);
  let loss = 0;
  losses.forEach((l, k) => (loss += weights[k] * l));
  return loss;
}
