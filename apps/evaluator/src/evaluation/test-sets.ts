import type { StoredDataset } from '@slca/artifacts';
import { decodeImages, decodeResizeCenterCrop, type DecodedImages, type ImageBytes } from '@slca/data';
import { loadManifestData, loadManifestSource, type ImageSet } from '@slca/engine';

/** Object-store reads a dataset decode keeps in flight at once (the engine asks for every file together). */
const READS_IN_FLIGHT = 16;

/** The paper's test transform: shorter side resized to `resize`, then a centre crop of `crop` (= the model's size). */
export interface TestTransform {
  resize: number;
  crop: number;
}

/** Decodes image bytes through a test transform into crop×crop [0,1] NHWC pixels (default: `decodeResizeCenterCrop`). */
export type TransformDecoder = (
  inputs: (string | ImageBytes)[],
  transform: TestTransform,
) => Promise<DecodedImages>;

/** Default pixel budget of the decoded-test-set cache: 32 Mi pixels (384 MiB as float32 RGB). */
export const DEFAULT_CACHE_PIXELS = 32 * 1024 * 1024;

/** Default bound on the decoded images a streamed evaluation holds at once (256 at 224 px = 154 MB). */
export const DEFAULT_STREAM_IMAGES = 256;

function limited<T>(limit: number, work: (file: string) => Promise<T>): (file: string) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (file) => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await work(file);
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

/** The dataset's manifest without its training list: nothing but test images is fetched or decoded. */
function testOnly(dataset: StoredDataset) {
  return { ...dataset.manifest, train: [] };
}

/** Pixels (size² per image) a decoded copy of the dataset's test set at `imageSize` takes. */
export function testSetPixels(dataset: StoredDataset, imageSize: number): number {
  return dataset.manifest.test.length * imageSize * imageSize;
}

/** Every test image decoded at once, resized to `imageSize` (the engine's default stretch, as the trainer loads it). */
export async function decodeTestSet(dataset: StoredDataset, imageSize: number): Promise<ImageSet> {
  const data = await loadManifestData(testOnly(dataset), imageSize, {
    read: limited(READS_IN_FLIGHT, dataset.read),
  });
  return data.test;
}

/**
 * The test set as the engine's lazy source (`loadManifestSource`, as the CLI's paper path builds it): nothing
 * is decoded until the evaluation reads rows, and then only those rows, from the object store at source size
 * through `decode` (the transform, or the plain resize to `imageSize` when `transform` is null).
 */
export function streamTestSet(
  dataset: StoredDataset,
  imageSize: number,
  transform: TestTransform | null,
  decode: TransformDecoder = decodeResizeCenterCrop,
): ImageSet {
  const view = transform
    ? (inputs: (string | ImageBytes)[]) => decode(inputs, transform)
    : (inputs: (string | ImageBytes)[], size: number) => decodeImages(inputs, { size });
  return loadManifestSource(testOnly(dataset), imageSize, view, {
    read: limited(READS_IN_FLIGHT, dataset.read),
  }).test;
}

/**
 * Decoded test images per (dataset digest, size), least recently used evicted first so that the sets kept
 * take at most `budgetPixels` (count × size²): a dataset is immutable, and every task of every run on it
 * evaluates on the same images. A set larger than the whole budget is never kept (the caller streams it);
 * a failed decode is not kept.
 */
export class TestSetCache {
  private readonly sets = new Map<string, { set: Promise<ImageSet>; pixels: number }>();
  private held = 0;

  constructor(
    readonly budgetPixels: number = DEFAULT_CACHE_PIXELS,
    private readonly load: (dataset: StoredDataset, imageSize: number) => Promise<ImageSet> = decodeTestSet,
  ) {}

  /** Whether the dataset's test set at `imageSize` fits in the budget at all. */
  fits(dataset: StoredDataset, imageSize: number): boolean {
    return testSetPixels(dataset, imageSize) <= this.budgetPixels;
  }

  /** Pixels the kept sets take (including those still decoding). */
  get pixels(): number {
    return this.held;
  }

  /** Keys of the kept sets, least recently used first. */
  keys(): string[] {
    return [...this.sets.keys()];
  }

  get(dataset: StoredDataset, imageSize: number): Promise<ImageSet> {
    const key = `${dataset.digest}@${imageSize}`;
    const kept = this.sets.get(key);
    if (kept) {
      // Most recently used goes last.
      this.sets.delete(key);
      this.sets.set(key, kept);
      return kept.set;
    }
    const set = this.load(dataset, imageSize);
    const pixels = testSetPixels(dataset, imageSize);
    if (pixels > this.budgetPixels) return set;
    for (const [oldest, entry] of this.sets) {
      if (this.held + pixels <= this.budgetPixels) break;
      this.drop(oldest, entry);
    }
    const entry = { set, pixels };
    this.sets.set(key, entry);
    this.held += pixels;
    set.catch(() => {
      if (this.sets.get(key) === entry) this.drop(key, entry);
    });
    return set;
  }

  private drop(key: string, entry: { pixels: number }): void {
    this.sets.delete(key);
    this.held -= entry.pixels;
  }
}
