import { decodeImages, resolveDatasetFile, type DatasetManifest } from '@slca/data';
import type { ExperimentData, ImageSet } from '../slca/experiment';

/** Decodes a manifest's images at `size` px into the engine's input form ([0,1] NHWC + original ids). */
export async function loadManifestData(
  manifest: DatasetManifest,
  size: number,
  resolve: (file: string) => string = resolveDatasetFile,
): Promise<ExperimentData> {
  const load = async (items: DatasetManifest['train']): Promise<ImageSet> => {
    const decoded = await decodeImages(
      items.map((it) => resolve(it.file)),
      { size },
    );
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
