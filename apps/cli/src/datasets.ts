import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import {
  IMPORT_FORMATS,
  manifestDigest,
  readManifestFile,
  type DatasetManifest,
  type ImportFormat,
} from '@slca/data';
import { DATASET_NAME } from '@slca/engine';
import { UsageError } from './io';

/**
 * An imported dataset on disk: `<dir>/manifest.json` (the `slca.dataset/v1` manifest) and
 * `<dir>/dataset.json` (this record: where the manifest's relative paths point, and where it came from).
 */
export const IMPORTED_DATASET_SCHEMA = 'slca.imported-dataset/v1';
export const DEFAULT_DATASETS_DIR = 'datasets';
export const MANIFEST_FILE = 'manifest.json';
export const RECORD_FILE = 'dataset.json';

export interface ImportedDatasetRecord {
  schema: typeof IMPORTED_DATASET_SCHEMA;
  name: string;
  format: ImportFormat;
  /** The path given to `dataset import` (absolute). */
  source: string;
  /** What the manifest's file paths are relative to: absolute, or relative to this dataset's folder ("." for converted images). */
  root: string;
  manifestDigest: string;
  classes: number;
  train: number;
  test: number;
  warnings: string[];
}

export interface LoadedDataset {
  dir: string;
  record: ImportedDatasetRecord;
  manifest: DatasetManifest;
  /** Absolute path of a manifest file. */
  resolve: (file: string) => string;
}

/** Loads `<datasetsDir>/<name>` (or a dataset folder given as a path) and checks the manifest digest. */
export function loadImportedDataset(nameOrDir: string, datasetsDir = DEFAULT_DATASETS_DIR): LoadedDataset {
  const dir = DATASET_NAME.test(nameOrDir) ? join(datasetsDir, nameOrDir) : nameOrDir;
  const recordPath = join(dir, RECORD_FILE);
  if (!existsSync(recordPath))
    throw new UsageError(
      `no dataset ${nameOrDir} in ${datasetsDir}/ (${recordPath} does not exist; see: slca dataset list)`,
    );
  let record: ImportedDatasetRecord;
  try {
    record = JSON.parse(readFileSync(recordPath, 'utf8')) as ImportedDatasetRecord;
  } catch (error) {
    throw new UsageError(`${recordPath} is not valid JSON: ${(error as Error).message}`);
  }
  if (
    record.schema !== IMPORTED_DATASET_SCHEMA ||
    !(IMPORT_FORMATS as readonly string[]).includes(record.format)
  )
    throw new UsageError(`${recordPath} is not a ${IMPORTED_DATASET_SCHEMA} record`);
  const manifest = readManifestFile(join(dir, MANIFEST_FILE));
  const digest = manifestDigest(manifest);
  if (digest !== record.manifestDigest)
    throw new UsageError(
      `${join(dir, MANIFEST_FILE)} has digest ${digest}, but ${RECORD_FILE} records ${record.manifestDigest}: the manifest was edited`,
    );
  const root = isAbsolute(record.root) ? record.root : resolve(dir, record.root);
  return { dir, record, manifest, resolve: (file) => join(root, file) };
}

/** The dataset folders under `datasetsDir` (those holding a record), sorted by name. */
export function listImportedDatasets(datasetsDir = DEFAULT_DATASETS_DIR): string[] {
  if (!existsSync(datasetsDir)) return [];
  return readdirSync(datasetsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(datasetsDir, d.name, RECORD_FILE)))
    .map((d) => d.name)
    .sort();
}
