import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FolderDatasetError, readFolderDataset } from '../folder-dataset';
import { ImageDecodeError } from '../images';
import { DATASET_MANIFEST_SCHEMA, parseManifest, type DatasetItem, type DatasetManifest } from '../manifest';
import {
  countWarnings,
  DatasetImportError,
  firstLine,
  hashAndCheckImages,
  requireDirectory,
  type ImportedDataset,
  type ImportProgress,
} from './import-common';
import { Mat5Error, matScalar, matString, readMat5, type MatValue } from './mat5';

export const CARS196_OFFICIAL = { classes: 196, train: 8_144, test: 8_041 };

export interface Cars196ImportOptions {
  name: string;
  onProgress?: ImportProgress;
}

const CREDITS = [
  'Stanford Cars: Krause et al., "3D Object Representations for Fine-Grained Categorization", 3dRR 2013',
];

/** The official release's files, relative to the root. */
const DEVKIT = {
  meta: 'devkit/cars_meta.mat',
  trainAnnotations: 'devkit/cars_train_annos.mat',
  /** The labelled test annotations come separately from the devkit; either place is accepted. */
  testAnnotations: ['devkit/cars_test_annos_withlabels.mat', 'cars_test_annos_withlabels.mat'],
  trainImages: 'cars_train',
  testImages: 'cars_test',
} as const;

/**
 * Imports Stanford Cars-196 from either layout, told apart by what `root` holds:
 *
 * - `train/<class>/`, `test/<class>/` folders, through {@link readFolderDataset} (class id = sorted
 *   folder index). Its decode check runs at 8 px, enough for libvips to read every image's whole stream
 *   (so truncation is caught) without holding 16,000 full images in memory.
 * - The official release: `cars_train/`, `cars_test/`, `devkit/cars_meta.mat` (`class_names`, a cell of
 *   196 strings), `devkit/cars_train_annos.mat` and `cars_test_annos_withlabels.mat` (in `devkit/` or the
 *   root; the devkit's own `cars_test_annos.mat` has no labels), whose `annotations` struct arrays give
 *   each image's `fname` and 1-based `class`: label = class − 1, names in `class_names` order, splits in
 *   annotation order. The bounding boxes are read but not used: the SLCA protocol trains on whole images.
 *
 * Either way every image is hashed and decoded once, and the manifest has no `imageSize` (Cars images
 * come in many sizes).
 */
export async function importCars196(root: string, options: Cars196ImportOptions): Promise<ImportedDataset> {
  requireDirectory(root, 'Cars-196 folder');
  const has = (path: string) => existsSync(join(root, path));
  const folders = has('train') && has('test');
  const devkit = ['devkit', DEVKIT.trainImages, DEVKIT.testImages, ...DEVKIT.testAnnotations].some(has);
  if (!folders && devkit) return importDevkit(root, options);
  if (!folders && !has('train') && !has('test'))
    throw new DatasetImportError(
      `${root} holds neither Cars-196 layout: looked for train/ and test/ folders, or the official release ` +
        `(${DEVKIT.meta}, ${DEVKIT.trainAnnotations}, cars_test_annos_withlabels.mat in devkit/ or the root, ` +
        `${DEVKIT.trainImages}/, ${DEVKIT.testImages}/)`,
    );
  return importFolders(root, options);
}

async function importFolders(root: string, options: Cars196ImportOptions): Promise<ImportedDataset> {
  options.onProgress?.(0, 1, 'checking images');
  let read: DatasetManifest;
  try {
    read = await readFolderDataset(root, options.name, {
      imageSize: 8,
      description:
        'Stanford Cars-196 from train/<class>/, test/<class>/ folders; label = sorted folder index',
    });
  } catch (error) {
    if (error instanceof ImageDecodeError) {
      const file = error.file.startsWith(root)
        ? error.file.slice(root.length).replace(/^[/\\]/, '')
        : error.file;
      throw new DatasetImportError(`cannot decode image ${file}: ${firstLine(error.cause)}`);
    }
    if (error instanceof FolderDatasetError) throw new DatasetImportError(error.message);
    throw error;
  }
  options.onProgress?.(1, 1, 'checking images');
  const { imageSize: _decodedAt, ...rest } = read;
  const manifest: DatasetManifest = { ...rest, credits: CREDITS };
  return { manifest, root, warnings: countWarnings('Cars-196', manifest, CARS196_OFFICIAL) };
}

/** One variable of a MAT-file of the release; the file's errors become import errors naming it. */
function readVariable(root: string, file: string, variable: string): MatValue {
  const path = join(root, file);
  if (!existsSync(path)) throw new DatasetImportError(`${root} has no ${file}`);
  let variables: Map<string, MatValue>;
  try {
    variables = readMat5(readFileSync(path)).variables;
  } catch (error) {
    if (error instanceof Mat5Error) throw new DatasetImportError(`${file}: ${error.message}`);
    throw error;
  }
  const value = variables.get(variable);
  if (!value)
    throw new DatasetImportError(
      `${file} has no variable '${variable}' (it has: ${[...variables.keys()].join(', ') || 'none'})`,
    );
  return value;
}

function readClassNames(root: string): string[] {
  const value = readVariable(root, DEVKIT.meta, 'class_names');
  if (value.kind !== 'cell')
    throw new DatasetImportError(
      `${DEVKIT.meta}: class_names is a ${value.kind} array, expected a cell array`,
    );
  const names = value.items.map((item, i) => {
    const name = matString(item)?.trim();
    if (!name)
      throw new DatasetImportError(`${DEVKIT.meta}: class_names{${i + 1}} is not a non-empty string`);
    return name;
  });
  if (names.length === 0) throw new DatasetImportError(`${DEVKIT.meta}: class_names is empty`);
  names.forEach((name, i) => {
    const first = names.indexOf(name);
    if (first !== i)
      throw new DatasetImportError(
        `${DEVKIT.meta}: class_names{${i + 1}} repeats class_names{${first + 1}} ("${name}")`,
      );
  });
  return names;
}

/** The `annotations` of one split as manifest files (`<images>/<fname>`) and 0-based labels. */
function readAnnotations(
  root: string,
  file: string,
  images: string,
  classCount: number,
): { file: string; label: number }[] {
  const value = readVariable(root, file, 'annotations');
  if (value.kind !== 'struct')
    throw new DatasetImportError(`${file}: annotations is a ${value.kind} array, expected a struct array`);
  for (const field of ['class', 'fname'])
    if (!value.fieldNames.includes(field))
      throw new DatasetImportError(
        `${file}: annotations have no '${field}' field (fields: ${value.fieldNames.join(', ')})`,
      );
  const count = value.fields.fname.length;
  if (count === 0) throw new DatasetImportError(`${file}: annotations is empty`);
  const seen = new Map<string, number>();
  return Array.from({ length: count }, (_, i) => {
    const record = `${file}: annotation ${i + 1}`;
    const fname = matString(value.fields.fname[i]);
    if (!fname || /[/\\]/.test(fname) || fname === '.' || fname === '..')
      throw new DatasetImportError(
        `${record} has fname ${fname === undefined ? '(not a string)' : JSON.stringify(fname)}, expected a file name in ${images}/`,
      );
    const label = matScalar(value.fields.class[i]);
    if (label === undefined || !Number.isInteger(label) || label < 1 || label > classCount)
      throw new DatasetImportError(
        `${record} (${fname}) has class ${label ?? '(not a number)'}, expected 1..${classCount}`,
      );
    const earlier = seen.get(fname);
    if (earlier !== undefined)
      throw new DatasetImportError(`${file}: annotations ${earlier} and ${i + 1} both name ${fname}`);
    seen.set(fname, i + 1);
    return { file: `${images}/${fname}`, label: label - 1 };
  });
}

async function importDevkit(root: string, options: Cars196ImportOptions): Promise<ImportedDataset> {
  const testAnnotations = DEVKIT.testAnnotations.find((file) => existsSync(join(root, file)));
  const names = readClassNames(root);
  const train = readAnnotations(root, DEVKIT.trainAnnotations, DEVKIT.trainImages, names.length);
  if (!testAnnotations)
    throw new DatasetImportError(
      `${root} has no cars_test_annos_withlabels.mat (looked in devkit/ and the root; ` +
        'devkit/cars_test_annos.mat has no class labels)',
    );
  const test = readAnnotations(root, testAnnotations, DEVKIT.testImages, names.length);
  requireDirectory(join(root, DEVKIT.trainImages), 'Cars-196 train image folder');
  requireDirectory(join(root, DEVKIT.testImages), 'Cars-196 test image folder');
  for (const [split, items, file] of [
    ['train', train, DEVKIT.trainAnnotations],
    ['test', test, testAnnotations],
  ] as const) {
    const seen = new Set(items.map((it) => it.label));
    const empty = names.findIndex((_, label) => !seen.has(label));
    if (empty >= 0)
      throw new DatasetImportError(`class ${empty + 1} ("${names[empty]}") has no ${split} image in ${file}`);
  }
  const all = [...train, ...test];
  const digests = await hashAndCheckImages(
    root,
    all.map((it) => it.file),
    options.onProgress,
  );
  const item = (it: { file: string; label: number }, i: number): DatasetItem => ({
    file: it.file,
    label: it.label,
    sha256: digests[i],
  });
  const manifest = parseManifest(
    {
      schema: DATASET_MANIFEST_SCHEMA,
      name: options.name,
      description:
        'Stanford Cars-196, official release: cars_train/ with devkit/cars_train_annos.mat, cars_test/ with ' +
        'cars_test_annos_withlabels.mat; label = class − 1, names from devkit/cars_meta.mat; whole images',
      classes: names.map((name, id) => ({ id, name })),
      train: train.map((it, i) => item(it, i)),
      test: test.map((it, i) => item(it, train.length + i)),
      credits: CREDITS,
    },
    options.name,
  );
  return { manifest, root, warnings: countWarnings('Cars-196', manifest, CARS196_OFFICIAL) };
}
