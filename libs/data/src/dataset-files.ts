import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { DatasetManifest } from './manifest';

/** A file a manifest lists is missing, unresolvable or not the bytes the manifest recorded. */
export class DatasetFileError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'DatasetFileError';
  }
}

// Resolution goes through Node's own algorithm, so hoisted, nested and workspace installs all work.
const requireFromHere = createRequire(__filename);

/**
 * Maps a package-relative manifest path (`<package>/<path inside it>`, scoped names allowed) to an
 * absolute path inside the installed package.
 */
export function resolveDatasetFile(file: string): string {
  const segments = file.split('/');
  if (file.includes('\\') || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new DatasetFileError(
      file,
      'not a package-relative path (expected "<package>/<path>" without "." or "..")',
    );
  }
  const nameLength = segments[0].startsWith('@') ? 2 : 1;
  if (segments.length <= nameLength) {
    throw new DatasetFileError(file, 'names a package but no file inside it');
  }
  const packageName = segments.slice(0, nameLength).join('/');
  let packageJson: string;
  try {
    packageJson = requireFromHere.resolve(`${packageName}/package.json`);
  } catch (error) {
    throw new DatasetFileError(
      file,
      `cannot resolve package "${packageName}": ${(error as Error).message.split('\n')[0]}`,
    );
  }
  return join(dirname(packageJson), ...segments.slice(nameLength));
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/**
 * Checks every train and test file against its recorded sha256. Throws at the first file that is
 * missing or differs, naming it — a silently changed image would change the benchmark.
 */
export function verifyManifestFiles(
  manifest: DatasetManifest,
  resolve: (file: string) => string = resolveDatasetFile,
): void {
  for (const item of [...manifest.train, ...manifest.test]) {
    let actual: string;
    try {
      actual = sha256File(resolve(item.file));
    } catch (error) {
      if (error instanceof DatasetFileError) throw error;
      throw new DatasetFileError(item.file, `cannot read: ${(error as Error).message}`);
    }
    if (actual !== item.sha256) {
      throw new DatasetFileError(
        item.file,
        `sha256 mismatch: manifest records ${item.sha256}, file has ${actual}`,
      );
    }
  }
}
