import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DATASET_MANIFEST_SCHEMA, parseManifest, type DatasetItem } from '../manifest';
import {
  countWarnings,
  DatasetImportError,
  firstLine,
  type ImportedDataset,
  type ImportProgress,
} from './import-common';
import { encodePngRgb } from './png-encode';
import { readTarGz } from './tar-gz';

export const CIFAR100_CLASSES = 100;
export const CIFAR100_COARSE_CLASSES = 20;
export const CIFAR100_SIDE = 32;
/** One record of `train.bin`/`test.bin`: coarse label, fine label, 1024 R, 1024 G, 1024 B bytes. */
export const CIFAR100_RECORD_BYTES = 2 + 3 * CIFAR100_SIDE * CIFAR100_SIDE;
export const CIFAR100_OFFICIAL = { classes: 100, train: 50_000, test: 10_000 };

export interface CifarRecord {
  coarse: number;
  fine: number;
  /** 32×32 RGB, interleaved (converted from the file's R, G, B planes), row-major. */
  rgb: Uint8Array;
}

/**
 * Parses a CIFAR-100 binary file (`file` names it in errors). Refuses a file whose length is not a whole
 * number of 3,074-byte records (naming the truncated record) and labels out of range (naming the record).
 */
export function parseCifar100Records(bytes: Uint8Array, file: string): CifarRecord[] {
  if (bytes.length === 0) throw new DatasetImportError(`${file} holds no records`);
  const whole = Math.floor(bytes.length / CIFAR100_RECORD_BYTES);
  const rest = bytes.length - whole * CIFAR100_RECORD_BYTES;
  if (rest !== 0) {
    throw new DatasetImportError(
      `${file}: record ${whole} is truncated (${rest} of ${CIFAR100_RECORD_BYTES} bytes; the file has ${bytes.length} bytes)`,
    );
  }
  const plane = CIFAR100_SIDE * CIFAR100_SIDE;
  const records: CifarRecord[] = [];
  for (let r = 0; r < whole; r++) {
    const at = r * CIFAR100_RECORD_BYTES;
    const coarse = bytes[at];
    const fine = bytes[at + 1];
    if (coarse >= CIFAR100_COARSE_CLASSES)
      throw new DatasetImportError(
        `${file}: record ${r} has coarse label ${coarse}, expected 0..${CIFAR100_COARSE_CLASSES - 1}`,
      );
    if (fine >= CIFAR100_CLASSES)
      throw new DatasetImportError(
        `${file}: record ${r} has fine label ${fine}, expected 0..${CIFAR100_CLASSES - 1}`,
      );
    const rgb = new Uint8Array(plane * 3);
    const pixels = at + 2;
    for (let i = 0; i < plane; i++) {
      rgb[i * 3] = bytes[pixels + i];
      rgb[i * 3 + 1] = bytes[pixels + plane + i];
      rgb[i * 3 + 2] = bytes[pixels + 2 * plane + i];
    }
    records.push({ coarse, fine, rgb });
  }
  return records;
}

/** `fine_label_names.txt`: one name per line, exactly 100, unique; blank trailing lines ignored. */
export function parseCifar100LabelNames(text: string, file: string): string[] {
  const names = text
    .replace(/\r/g, '')
    .replace(/\n+$/, '')
    .split('\n')
    .map((s) => s.trim());
  if (names.length !== CIFAR100_CLASSES)
    throw new DatasetImportError(`${file} lists ${names.length} names, expected ${CIFAR100_CLASSES}`);
  names.forEach((name, i) => {
    if (name === '') throw new DatasetImportError(`${file}: line ${i + 1} is empty`);
    const first = names.indexOf(name);
    if (first !== i)
      throw new DatasetImportError(`${file}: line ${i + 1} repeats "${name}" (line ${first + 1})`);
  });
  return names;
}

interface CifarSource {
  train: Uint8Array;
  test: Uint8Array;
  labelNames?: Uint8Array;
}

function readSource(path: string): CifarSource {
  if (!existsSync(path)) throw new DatasetImportError(`CIFAR-100 source ${path} does not exist`);
  if (statSync(path).isDirectory()) {
    const dir = existsSync(join(path, 'train.bin')) ? path : join(path, 'cifar-100-binary');
    const read = (file: string): Buffer => {
      const full = join(dir, file);
      try {
        return readFileSync(full);
      } catch (error) {
        throw new DatasetImportError(`cannot read ${full}: ${firstLine(error)}`);
      }
    };
    for (const file of ['train.bin', 'test.bin'])
      if (!existsSync(join(dir, file)))
        throw new DatasetImportError(`${path} has no ${file} (nor cifar-100-binary/${file})`);
    const names = join(dir, 'fine_label_names.txt');
    return {
      train: read('train.bin'),
      test: read('test.bin'),
      labelNames: existsSync(names) ? read('fine_label_names.txt') : undefined,
    };
  }
  const entries = readTarGz(path);
  const member = (file: string): Buffer | undefined => {
    const found = entries.filter((e) => basename(e.name) === file);
    if (found.length > 1)
      throw new DatasetImportError(
        `${path} holds ${file} more than once (${found.map((e) => e.name).join(', ')})`,
      );
    return found[0]?.data;
  };
  const required = (file: string): Buffer => {
    const data = member(file);
    if (data === undefined) throw new DatasetImportError(`${path} holds no ${file}`);
    return data;
  };
  return {
    train: required('train.bin'),
    test: required('test.bin'),
    labelNames: member('fine_label_names.txt'),
  };
}

export interface Cifar100ImportOptions {
  name: string;
  /** Folder the PNGs are written to (`train/00000.png` …); the manifest's paths are relative to it. */
  outDir: string;
  onProgress?: ImportProgress;
}

/**
 * Imports the CIFAR-100 binary release (`cifar-100-binary.tar.gz`, or a folder holding `train.bin` and
 * `test.bin`, directly or in `cifar-100-binary/`). Record i of `train.bin` becomes `train/<i, 5 digits>.png`
 * under `outDir` (lossless, deterministic bytes), labelled with its fine label; class names come from
 * `fine_label_names.txt` when present, else `class-<id>`. Every class must have train and test records.
 */
export async function importCifar100(path: string, options: Cifar100ImportOptions): Promise<ImportedDataset> {
  const source = readSource(path);
  const names = source.labelNames
    ? parseCifar100LabelNames(Buffer.from(source.labelNames).toString('utf8'), 'fine_label_names.txt')
    : Array.from({ length: CIFAR100_CLASSES }, (_, id) => `class-${id}`);
  const splits = {
    train: parseCifar100Records(source.train, 'train.bin'),
    test: parseCifar100Records(source.test, 'test.bin'),
  };
  for (const [split, records] of Object.entries(splits)) {
    const counts = new Array<number>(CIFAR100_CLASSES).fill(0);
    for (const r of records) counts[r.fine]++;
    const empty = counts.indexOf(0);
    if (empty >= 0)
      throw new DatasetImportError(
        `${split}.bin has no record of fine label ${empty} ("${names[empty]}"): every class needs train and test images`,
      );
  }
  const total = splits.train.length + splits.test.length;
  let done = 0;
  const items = (split: 'train' | 'test'): DatasetItem[] => {
    mkdirSync(join(options.outDir, split), { recursive: true });
    return splits[split].map((record, index) => {
      const file = `${split}/${String(index).padStart(5, '0')}.png`;
      const png = encodePngRgb(CIFAR100_SIDE, CIFAR100_SIDE, record.rgb);
      writeFileSync(join(options.outDir, file), png);
      if (++done % 1000 === 0 || done === total) options.onProgress?.(done, total, 'writing PNGs');
      return { file, label: record.fine, sha256: createHash('sha256').update(png).digest('hex') };
    });
  };
  options.onProgress?.(0, total, 'writing PNGs');
  const manifest = parseManifest(
    {
      schema: DATASET_MANIFEST_SCHEMA,
      name: options.name,
      description:
        'CIFAR-100, official binary release: record i of train.bin / test.bin is train/<i>.png / test/<i>.png ' +
        '(lossless 32×32 PNG), labelled with its fine label',
      imageSize: CIFAR100_SIDE,
      classes: names.map((name, id) => ({ id, name })),
      train: items('train'),
      test: items('test'),
      credits: ['CIFAR-100: Alex Krizhevsky, "Learning Multiple Layers of Features from Tiny Images", 2009'],
    },
    options.name,
  );
  return {
    manifest,
    root: options.outDir,
    warnings: countWarnings('CIFAR-100', manifest, CIFAR100_OFFICIAL),
  };
}
