import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { DatasetManifest } from '../manifest';

/** The four formats of the paper's benchmarks (docs/method.md §5.1). */
export const IMPORT_FORMATS = ['cifar100', 'imagenet-r', 'cub200', 'cars196'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/**
 * Source files that are not the format they claim to be: a truncated record, a label out of range,
 * a missing or undecodable image, ids that disagree between annotation files. The message names the
 * file (and record, line or image) and the offending value.
 */
export class DatasetImportError extends Error {
  override name = 'DatasetImportError';
}

/** Called as work advances; `phase` says what is being counted (e.g. "checking images"). */
export type ImportProgress = (done: number, total: number, phase: string) => void;

export interface ImportedDataset {
  manifest: DatasetManifest;
  /**
   * What the manifest's relative file paths are relative to: the source folder, or for formats
   * whose images are converted (CIFAR-100) the output folder.
   */
  root: string;
  /** Departures from the official release that are not errors (e.g. counts of a subset). */
  warnings: string[];
}

/** Official sizes, checked as warnings: a subset is legitimate, but the user should know. */
export interface OfficialCounts {
  classes: number;
  train: number;
  test: number;
}

export function countWarnings(label: string, manifest: DatasetManifest, official: OfficialCounts): string[] {
  const found: OfficialCounts = {
    classes: manifest.classes.length,
    train: manifest.train.length,
    test: manifest.test.length,
  };
  return (['classes', 'train', 'test'] as const)
    .filter((key) => found[key] !== official[key])
    .map(
      (key) =>
        `${label}: ${found[key].toLocaleString('en-US')} ${key === 'classes' ? 'classes' : `${key} images`}, the official release has ${official[key].toLocaleString('en-US')}`,
    );
}

export function requireDirectory(path: string, what: string): void {
  if (!existsSync(path)) throw new DatasetImportError(`${what} ${path} does not exist`);
  if (!statSync(path).isDirectory()) throw new DatasetImportError(`${what} ${path} is not a folder`);
}

/** First line of an error message: libvips repeats its warnings over several lines. */
export function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}

/**
 * Reads every image once: its SHA-256 for the manifest, and a full decode so a missing, truncated
 * or corrupt file is refused at import (named by its path relative to `root`) rather than mid-run.
 * Returns the digests in the order of `files`.
 */
export async function hashAndCheckImages(
  root: string,
  files: readonly string[],
  onProgress?: ImportProgress,
  concurrency = 4,
): Promise<string[]> {
  const digests = new Array<string>(files.length);
  let next = 0;
  let done = 0;
  let failed = false;
  const phase = 'checking images';
  onProgress?.(0, files.length, phase);
  const worker = async (): Promise<void> => {
    while (!failed && next < files.length) {
      const index = next++;
      const file = files[index];
      let bytes: Buffer;
      try {
        bytes = readFileSync(join(root, file));
      } catch (error) {
        failed = true;
        const code = (error as NodeJS.ErrnoException).code;
        throw new DatasetImportError(
          code === 'ENOENT' ? `image ${file} is missing` : `cannot read image ${file}: ${firstLine(error)}`,
        );
      }
      try {
        await sharp(bytes).raw().toBuffer();
      } catch (error) {
        failed = true;
        throw new DatasetImportError(`cannot decode image ${file}: ${firstLine(error)}`);
      }
      digests[index] = createHash('sha256').update(bytes).digest('hex');
      onProgress?.(++done, files.length, phase);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, files.length)) }, worker));
  return digests;
}
