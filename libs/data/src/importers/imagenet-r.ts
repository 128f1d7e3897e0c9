import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DATASET_MANIFEST_SCHEMA, parseManifest, type DatasetItem } from '../manifest';
import { Mt19937 } from '../random/mt19937';
import {
  countWarnings,
  DatasetImportError,
  hashAndCheckImages,
  requireDirectory,
  type ImportedDataset,
  type ImportProgress,
} from './import-common';

export const IMAGENET_R_OFFICIAL = { classes: 200, train: 24_000, test: 6_000 };
export const IMAGENET_R_SPLIT_SEED = 1993;
const IMAGE_FILE = /\.(jpe?g|png)$/i;

export interface ImagenetRImportOptions {
  name: string;
  /** Seed of the 80/20 split; default 1993. Recorded in the manifest's description. */
  seed?: number;
  onProgress?: ImportProgress;
}

const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The split rule, fixed so that the same files and seed always give the same split:
 *   1. classes = the `<wnid>` folders in sorted order (code-unit order), class id = index;
 *   2. images = every .jpg/.jpeg/.png of class 0 in sorted file-name order, then class 1, …: N in all;
 *   3. p = `Mt19937(seed).permutation(N)` (numpy's legacy `RandomState(seed).permutation(N)`);
 *   4. the images at p[0 .. floor(N/5) − 1] are the test split, the rest train; each split keeps
 *      the order of step 2.
 * On the 30,000 images of ImageNet-R this gives 24,000 / 6,000. Returns, per image of step 2, whether
 * it is a test image.
 */
export function imagenetRTestMask(count: number, seed: number): boolean[] {
  const order = new Mt19937(seed).permutation(count);
  const test = new Array<boolean>(count).fill(false);
  for (let i = 0; i < Math.floor(count / 5); i++) test[order[i]] = true;
  return test;
}

/** Imports `imagenet-r/<wnid>/*.jpg` with the seeded 80/20 split of {@link imagenetRTestMask}. */
export async function importImagenetR(
  root: string,
  options: ImagenetRImportOptions,
): Promise<ImportedDataset> {
  requireDirectory(root, 'ImageNet-R folder');
  const seed = options.seed ?? IMAGENET_R_SPLIT_SEED;
  const wnids = readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort(byCodeUnits);
  if (wnids.length === 0) throw new DatasetImportError(`${root} has no class folders (imagenet-r/<wnid>/)`);
  const images = wnids.flatMap((wnid, label) => {
    const files = readdirSync(join(root, wnid))
      .filter((f) => IMAGE_FILE.test(f))
      .sort(byCodeUnits);
    if (files.length < 2)
      throw new DatasetImportError(
        `class folder ${wnid} holds ${files.length} image(s); a class needs at least 2 to appear in both splits`,
      );
    return files.map((f) => ({ file: `${wnid}/${f}`, label }));
  });
  const digests = await hashAndCheckImages(
    root,
    images.map((it) => it.file),
    options.onProgress,
  );
  const test = imagenetRTestMask(images.length, seed);
  const train: DatasetItem[] = [];
  const testItems: DatasetItem[] = [];
  images.forEach((it, i) => (test[i] ? testItems : train).push({ ...it, sha256: digests[i] }));
  for (const [split, items] of [
    ['train', train],
    ['test', testItems],
  ] as const) {
    const seen = new Set(items.map((it) => it.label));
    const empty = wnids.findIndex((_, label) => !seen.has(label));
    if (empty >= 0)
      throw new DatasetImportError(
        `the seed-${seed} 80/20 split leaves class ${wnids[empty]} with no ${split} image; use another seed`,
      );
  }
  const manifest = parseManifest(
    {
      schema: DATASET_MANIFEST_SCHEMA,
      name: options.name,
      description:
        `ImageNet-R, seeded 80/20 split: images in sorted (class folder, file) order, ` +
        `test = the first floor(N/5) of Mt19937(${seed}).permutation(N)`,
      classes: wnids.map((name, id) => ({ id, name })),
      train,
      test: testItems,
      credits: ['ImageNet-R: Hendrycks et al., "The Many Faces of Robustness", ICCV 2021'],
    },
    options.name,
  );
  return { manifest, root, warnings: countWarnings('ImageNet-R', manifest, IMAGENET_R_OFFICIAL) };
}
