import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATASET_MANIFEST_SCHEMA, parseManifest, type DatasetItem } from '../manifest';
import {
  countWarnings,
  DatasetImportError,
  hashAndCheckImages,
  requireDirectory,
  type ImportedDataset,
  type ImportProgress,
} from './import-common';

export const CUB200_OFFICIAL = { classes: 200, train: 5_994, test: 5_794 };

export interface Cub200ImportOptions {
  name: string;
  onProgress?: ImportProgress;
}

/** `<id> <value>` lines of a CUB annotation file, keyed by the positive integer id. */
function readTable(root: string, file: string): Map<number, string> {
  const path = join(root, file);
  if (!existsSync(path)) throw new DatasetImportError(`${root} has no ${file}`);
  const rows = new Map<number, string>();
  readFileSync(path, 'utf8')
    .replace(/\r/g, '')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      const match = /^\s*(\d+)\s+(\S.*?)\s*$/.exec(line);
      if (!match) throw new DatasetImportError(`${file}:${i + 1}: expected "<id> <value>", got "${line}"`);
      const id = Number(match[1]);
      if (id < 1) throw new DatasetImportError(`${file}:${i + 1}: ids start at 1, got ${id}`);
      if (rows.has(id)) throw new DatasetImportError(`${file}:${i + 1}: id ${id} is listed twice`);
      rows.set(id, match[2]);
    });
  if (rows.size === 0) throw new DatasetImportError(`${file} is empty`);
  return rows;
}

/**
 * Imports the CUB-200-2011 release folder with its official split: `classes.txt` (1-based class ids
 * 1..C, contiguous), `images.txt` (image id → path under `images/`), `image_class_labels.txt`
 * (image id → class id) and `train_test_split.txt` (image id → 1 train / 0 test). The three image
 * tables must list the same ids; class id k becomes original label k − 1; splits keep image-id order.
 */
export async function importCub200(root: string, options: Cub200ImportOptions): Promise<ImportedDataset> {
  requireDirectory(root, 'CUB-200-2011 folder');
  const classes = readTable(root, 'classes.txt');
  for (let id = 1; id <= classes.size; id++) {
    if (!classes.has(id))
      throw new DatasetImportError(
        `classes.txt: class ids must be 1..${classes.size} without gaps, but ${id} is missing`,
      );
  }
  const paths = readTable(root, 'images.txt');
  const labels = readTable(root, 'image_class_labels.txt');
  const isTrain = readTable(root, 'train_test_split.txt');
  for (const [file, table] of [
    ['image_class_labels.txt', labels],
    ['train_test_split.txt', isTrain],
  ] as const) {
    for (const id of paths.keys())
      if (!table.has(id)) throw new DatasetImportError(`image ${id} is in images.txt but not in ${file}`);
    for (const id of table.keys())
      if (!paths.has(id)) throw new DatasetImportError(`image ${id} is in ${file} but not in images.txt`);
  }
  // Every id is in all three tables (checked above), so the `?? ''` fallbacks never apply.
  const entries = [...paths.entries()].sort(([a], [b]) => a - b);
  const images = entries.map(([id, path]) => {
    const label = labels.get(id) ?? '';
    if (!/^\d+$/.test(label) || Number(label) < 1 || Number(label) > classes.size)
      throw new DatasetImportError(
        `image_class_labels.txt: image ${id} has class ${label}, expected 1..${classes.size}`,
      );
    const split = isTrain.get(id) ?? '';
    if (split !== '0' && split !== '1')
      throw new DatasetImportError(
        `train_test_split.txt: image ${id} has ${split}, expected 1 (train) or 0 (test)`,
      );
    return { id, file: `images/${path}`, label: Number(label) - 1, train: split === '1' };
  });
  requireDirectory(join(root, 'images'), 'CUB-200-2011 image folder');
  const digests = await hashAndCheckImages(
    root,
    images.map((it) => it.file),
    options.onProgress,
  );
  const train: DatasetItem[] = [];
  const test: DatasetItem[] = [];
  images.forEach((it, i) =>
    (it.train ? train : test).push({ file: it.file, label: it.label, sha256: digests[i] }),
  );
  const names = Array.from({ length: classes.size }, (_, i) => classes.get(i + 1) ?? '');
  for (const [split, items] of [
    ['train', train],
    ['test', test],
  ] as const) {
    const seen = new Set(items.map((it) => it.label));
    const empty = names.findIndex((_, label) => !seen.has(label));
    if (empty >= 0)
      throw new DatasetImportError(
        `class ${empty + 1} ("${names[empty]}") has no ${split} image in train_test_split.txt`,
      );
  }
  const manifest = parseManifest(
    {
      schema: DATASET_MANIFEST_SCHEMA,
      name: options.name,
      description: 'CUB-200-2011, official train_test_split.txt; label = classes.txt id − 1',
      classes: names.map((name, id) => ({ id, name })),
      train,
      test,
      credits: ['CUB-200-2011: Wah et al., Caltech-UCSD Birds-200-2011, CNS-TR-2011-001'],
    },
    options.name,
  );
  return { manifest, root, warnings: countWarnings('CUB-200-2011', manifest, CUB200_OFFICIAL) };
}
