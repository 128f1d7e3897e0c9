import {
  decodeImages,
  resolveDatasetFile,
  type DatasetManifest,
  type DecodedImages,
  type ImageBytes,
} from '@slca/data';
import type { ExperimentData, ImageSet } from '../slca/experiment';

/** Where a manifest's files come from: a path for each, or their bytes (e.g. from the object store). */
export type ManifestFileSource = ((file: string) => string) | { read: (file: string) => Promise<Uint8Array> };

/** Turns image files (or bytes) into size×size [0,1] NHWC pixels; the default stretches with a bicubic resize. */
export type ManifestImageDecoder = (inputs: (string | ImageBytes)[], size: number) => Promise<DecodedImages>;

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
    const inputs: (string | ImageBytes)[] =
      typeof source === 'function'
        ? items.map((it) => source(it.file))
        : await Promise.all(items.map(async (it) => ({ name: it.file, bytes: await source.read(it.file) })));
    const decoded = await decode(inputs, size);
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
