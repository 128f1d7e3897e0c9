import { InvalidArgumentError } from './errors';

export interface ObjectInfo {
  key: string;
  size: number;
  lastModified?: Date;
}

/**
 * The few object-store operations the platform needs. Single objects are written whole (one PUT), so a
 * reader sees either the old object, the new one, or none; sets of objects become visible together
 * only through an artifact manifest (see `artifact.ts`).
 *
 * Failures are `ArtifactError`s: `not_found` for a missing key, `invalid_argument` for a bad key,
 * `permission_denied` / `unavailable` / `internal` for the store itself.
 */
export interface ObjectStore {
  /** A readable description for logs (endpoint and bucket, never credentials). */
  readonly description: string;
  put(key: string, body: Uint8Array, options?: PutOptions): Promise<void>;
  get(key: string): Promise<Buffer>;
  stat(key: string): Promise<ObjectInfo>;
  exists(key: string): Promise<boolean>;
  /** Every key under `prefix` (recursively), in ascending order. */
  list(prefix: string): Promise<string[]>;
  /** Removes `key`; removing a missing key is not an error. */
  remove(key: string): Promise<void>;
}

export interface PutOptions {
  contentType?: string;
}

const MAX_KEY_BYTES = 1024;

/** The key rules both stores enforce, so code tested against memory behaves the same against S3. */
export function validateKey(key: unknown, field = 'key'): string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new InvalidArgumentError(field, key, 'expected a non-empty string');
  }
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) {
    throw new InvalidArgumentError(field, key, `longer than ${MAX_KEY_BYTES} bytes`);
  }
  if (key.startsWith('/') || key.endsWith('/') || key.includes('//')) {
    throw new InvalidArgumentError(field, key, 'must not start or end with "/" or contain "//"');
  }
  if (key.split('/').some((part) => part === '.' || part === '..')) {
    throw new InvalidArgumentError(field, key, 'must not contain "." or ".." segments');
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(key)) {
    throw new InvalidArgumentError(field, key, 'must not contain control characters or "\\"');
  }
  return key;
}

/** A listing prefix: empty (everything) or a key-like string, usually ending in `/`. */
export function validatePrefix(prefix: unknown): string {
  if (prefix === '') return prefix;
  if (typeof prefix !== 'string') throw new InvalidArgumentError('prefix', prefix, 'expected a string');
  validateKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix, 'prefix');
  return prefix;
}
