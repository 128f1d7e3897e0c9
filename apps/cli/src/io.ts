import { accessSync, constants, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Writes a file atomically (temp file + rename), creating its folder: a crash never leaves half a result. */
export function writeFileAtomic(path: string, content: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}

export function writeJson(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** A user error: printed without a stack trace, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseInteger(value: string, flag: string, min = 0): number {
  if (!/^-?\d+$/.test(value.trim())) throw new UsageError(`${flag} must be an integer, got '${value}'`);
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min)
    throw new UsageError(`${flag} must be an integer ≥ ${min}, got '${value}'`);
  return n;
}

export function parseList<T extends string>(value: string, flag: string, allowed?: readonly T[]): T[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new UsageError(`${flag} must list at least one value`);
  if (allowed) {
    for (const it of items) {
      if (!allowed.includes(it as T))
        throw new UsageError(`${flag}: unknown value '${it}' (expected ${allowed.join(', ')})`);
    }
  }
  return items as T[];
}

/** Fails before any work is done when the result could not be written to `path`'s folder. */
export function checkWritable(path: string, flag: string): void {
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw new UsageError(`${flag} ${path}: cannot write to ${dir} (${(e as Error).message})`);
  }
}
