import {
  decodeImages,
  decodeSourceImages,
  resolveDatasetFile,
  transformBatch,
  type DatasetManifest,
  type DecodedImages,
  type ImageBytes,
} from '@slca/data';
import type { TransformPool } from '../pipeline/transform-pool';
import type { ExperimentData, ImageSet } from '../slca/experiment';
import type { LazyImages } from '../train/batch-gradient';

/** Where a manifest's files come from: a path for each, or their bytes (e.g. from the object store). */
export type ManifestFileSource = ((file: string) => string) | { read: (file: string) => Promise<Uint8Array> };

/** Turns image files (or bytes) into size×size [0,1] NHWC pixels; the default stretches with a bicubic resize. */
export type ManifestImageDecoder = (inputs: (string | ImageBytes)[], size: number) => Promise<DecodedImages>;

async function inputsOf(
  items: readonly { file: string }[],
  source: ManifestFileSource,
): Promise<(string | ImageBytes)[]> {
  return typeof source === 'function'
    ? items.map((it) => source(it.file))
    : Promise.all(items.map(async (it) => ({ name: it.file, bytes: await source.read(it.file) })));
}

/**
 * Decodes a manifest's images at `size` px into the engine's input form ([0,1] NHWC + original ids);
 * `decode` replaces the default stretch-to-size (e.g. the paper's Resize → CenterCrop test transform).
 */
export async function loadManifestData(
  manifest: DatasetManifest,
  size: number,
  source: ManifestFileSource = resolveDatasetFile,
  decode: ManifestImageDecoder = (inputs, s) => decodeImages(inputs, { size: s }),
): Promise<ExperimentData> {
  const load = async (items: DatasetManifest['train']): Promise<ImageSet> => {
    const decoded = await decode(await inputsOf(items, source), size);
    return { images: decoded.data, labels: Int32Array.from(items, (it) => it.label), count: decoded.count };
  };
  return {
    name: manifest.name,
    classes: manifest.classes.length,
    imageSize: size,
    classNames: manifest.classes.map((c) => c.name),
    train: await load(manifest.train),
    test: await load(manifest.test),
  };
}

/**
 * A manifest's images as lazy sets ({@link LazyImages}): nothing is decoded until the engine asks for
 * rows. `view` is the deterministic form (the paper's Resize → CenterCrop) used for class statistics and
 * evaluation; a stage-1 pipeline (`stage1.augment.transforms`) decodes the rows at their source sizes
 * with sharp and runs them through `transformBatch` — or, given `options.transformPool`, through the pool's
 * worker threads (the same pixels and draws). Memory is one batch, whatever the dataset's size.
 */
export function loadManifestSource(
  manifest: DatasetManifest,
  size: number,
  view: ManifestImageDecoder,
  source: ManifestFileSource = resolveDatasetFile,
  options: { transformPool?: TransformPool } = {},
): ExperimentData {
  const { transformPool } = options;
  const lazy = (items: DatasetManifest['train']): ImageSet => {
    const pick = (rows: readonly number[]) =>
      rows.map((r) => {
        const item = items[r];
        if (!item) throw new RangeError(`${manifest.name}: no image at row ${r} (of ${items.length})`);
        return item;
      });
    const images: LazyImages = {
      read: async (rows) => (await view(await inputsOf(pick(rows), source), size)).data,
      transform: async (rows, steps, rng) => {
        const decoded = await decodeSourceImages(await inputsOf(pick(rows), source));
        return transformPool
          ? transformPool.transformBatch(decoded, steps, rng, size, { transfer: true })
          : transformBatch(decoded, steps, rng, size);
      },
    };
    return { source: images, labels: Int32Array.from(items, (it) => it.label), count: items.length };
  };
  return {
    name: manifest.name,
    classes: manifest.classes.length,
    imageSize: size,
    classNames: manifest.classes.map((c) => c.name),
    train: lazy(manifest.train),
    test: lazy(manifest.test),
  };
}
