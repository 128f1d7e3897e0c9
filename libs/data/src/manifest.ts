import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

/**
 * A dataset manifest fixes a benchmark's content: its classes and, per split, every image file
 * with its label and content digest. Runs record the manifest digest, so "the same dataset" is
 * checkable rather than assumed.
 */
export const DATASET_MANIFEST_SCHEMA = 'slca.dataset/v1';

export interface DatasetClass {
  /** The original label, 0..C-1. */
  id: number;
  name: string;
}

export interface DatasetItem {
  /** A relative path with `/` separators; what it is relative to is up to the dataset's reader. */
  file: string;
  label: number;
  /** Lower-case hex sha256 of the file's bytes. */
  sha256: string;
}

export interface DatasetManifest {
  schema: typeof DATASET_MANIFEST_SCHEMA;
  name: string;
  description?: string;
  /** Native side length in pixels, when every image shares one. */
  imageSize?: number;
  classes: DatasetClass[];
  train: DatasetItem[];
  test: DatasetItem[];
  credits?: string[];
}

/** A manifest that breaks the schema; the message names the file (when known) and the exact field. */
export class ManifestError extends Error {
  constructor(
    /** The location inside the manifest, e.g. `train[12].label`; empty for the document itself. */
    readonly location: string,
    readonly reason: string,
    readonly source?: string,
  ) {
    super([source, location, reason].filter((part) => part !== undefined && part !== '').join(': '));
    this.name = 'ManifestError';
  }
}

const TOP_LEVEL_KEYS = ['schema', 'name', 'description', 'imageSize', 'classes', 'train', 'test', 'credits'];
const CLASS_KEYS = ['id', 'name'];
const ITEM_KEYS = ['file', 'label', 'sha256'];
const SHA256_PATTERN = /^[0-9a-f]{64}$/;

type Json = Record<string, unknown>;

/** Validates untrusted JSON as a manifest and returns a copy holding only the schema's fields. */
export function parseManifest(json: unknown, source?: string): DatasetManifest {
  const fail = (location: string, reason: string): never => {
    throw new ManifestError(location, reason, source);
  };

  const root = requireObject(json, '', fail);
  rejectUnknownKeys(root, '', TOP_LEVEL_KEYS, fail);
  if (root.schema !== DATASET_MANIFEST_SCHEMA) {
    fail('schema', `expected "${DATASET_MANIFEST_SCHEMA}", got ${describe(root.schema)}`);
  }
  const name = requireNonEmptyString(root.name, 'name', fail);
  if (root.description !== undefined && typeof root.description !== 'string') {
    fail('description', `expected a string, got ${describe(root.description)}`);
  }
  if (
    root.imageSize !== undefined &&
    (!Number.isInteger(root.imageSize) || (root.imageSize as number) <= 0)
  ) {
    fail('imageSize', `expected a positive integer, got ${describe(root.imageSize)}`);
  }

  const classes = parseClasses(root.classes, fail);
  const train = parseSplit(root.train, 'train', classes.length, fail);
  const test = parseSplit(root.test, 'test', classes.length, fail);
  for (const [split, items] of [
    ['train', train],
    ['test', test],
  ] as const) {
    const counts = new Array<number>(classes.length).fill(0);
    for (const item of items) counts[item.label]++;
    classes.forEach((cls, index) => {
      if (counts[cls.id] === 0)
        fail(`classes[${index}]`, `class ${cls.id} "${cls.name}" has no ${split} images`);
    });
  }

  let credits: string[] | undefined;
  if (root.credits !== undefined) {
    if (!Array.isArray(root.credits))
      fail('credits', `expected an array of strings, got ${describe(root.credits)}`);
    credits = (root.credits as unknown[]).map((credit, i) =>
      requireNonEmptyString(credit, `credits[${i}]`, fail),
    );
  }

  return {
    schema: DATASET_MANIFEST_SCHEMA,
    name,
    ...(root.description !== undefined && { description: root.description as string }),
    ...(root.imageSize !== undefined && { imageSize: root.imageSize as number }),
    classes,
    train,
    test,
    ...(credits !== undefined && { credits }),
  };
}

/** Reads and validates a manifest file; JSON syntax errors are reported as `ManifestError` too. */
export function readManifestFile(path: string): DatasetManifest {
  const source = basename(path);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ManifestError('', `cannot read ${path}: ${(error as Error).message}`, source);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ManifestError('', `invalid JSON: ${(error as Error).message}`, source);
  }
  return parseManifest(json, source);
}

/** sha256 (hex) of the manifest's canonical JSON: equal content gives an equal digest, whatever the key order. */
export function manifestDigest(manifest: DatasetManifest): string {
  return createHash('sha256').update(canonicalJson(manifest)).digest('hex');
}

/**
 * JSON with object keys sorted (by UTF-16 code units, so the order is locale-independent) at every
 * depth and no whitespace; `undefined` members are dropped as `JSON.stringify` drops them.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${value} has no JSON form`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Json)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  throw new TypeError(`canonicalJson: a ${typeof value} has no JSON form`);
}

type Fail = (location: string, reason: string) => never;

function parseClasses(value: unknown, fail: Fail): DatasetClass[] {
  if (!Array.isArray(value)) fail('classes', `expected an array, got ${describe(value)}`);
  const raw = value as unknown[];
  if (raw.length === 0) fail('classes', 'must list at least one class');
  const indexOfId = new Map<number, number>();
  const indexOfName = new Map<string, number>();
  return raw.map((entry, i) => {
    const at = `classes[${i}]`;
    const obj = requireObject(entry, at, fail);
    rejectUnknownKeys(obj, at, CLASS_KEYS, fail);
    const id = obj.id;
    if (!Number.isInteger(id)) fail(`${at}.id`, `expected an integer, got ${describe(id)}`);
    // With C entries, ids that are unique and inside 0..C-1 are exactly 0..C-1: no gaps possible.
    if ((id as number) < 0 || (id as number) >= raw.length) {
      fail(
        `${at}.id`,
        `${id as number} is out of range: ids must be 0..${raw.length - 1} (${raw.length} classes)`,
      );
    }
    const previousId = indexOfId.get(id as number);
    if (previousId !== undefined) fail(`${at}.id`, `${id as number} duplicates classes[${previousId}].id`);
    indexOfId.set(id as number, i);
    const name = requireNonEmptyString(obj.name, `${at}.name`, fail);
    const previousName = indexOfName.get(name);
    if (previousName !== undefined) fail(`${at}.name`, `"${name}" duplicates classes[${previousName}].name`);
    indexOfName.set(name, i);
    return { id: id as number, name };
  });
}

function parseSplit(value: unknown, split: 'train' | 'test', nClasses: number, fail: Fail): DatasetItem[] {
  if (!Array.isArray(value)) fail(split, `expected an array, got ${describe(value)}`);
  const indexOfFile = new Map<string, number>();
  return (value as unknown[]).map((entry, i) => {
    const at = `${split}[${i}]`;
    const obj = requireObject(entry, at, fail);
    rejectUnknownKeys(obj, at, ITEM_KEYS, fail);
    const file = requireNonEmptyString(obj.file, `${at}.file`, fail);
    if (!isSafeRelativePath(file)) {
      fail(
        `${at}.file`,
        `"${file}" must be a relative path with "/" separators and no "", "." or ".." segments`,
      );
    }
    const previous = indexOfFile.get(file);
    if (previous !== undefined)
      fail(`${at}.file`, `"${file}" is listed twice in ${split} (also ${split}[${previous}])`);
    indexOfFile.set(file, i);
    const label = obj.label;
    if (!Number.isInteger(label)) fail(`${at}.label`, `expected an integer, got ${describe(label)}`);
    if ((label as number) < 0 || (label as number) >= nClasses) {
      fail(`${at}.label`, `${label as number} is out of range (${nClasses} classes)`);
    }
    const sha256 = obj.sha256;
    if (typeof sha256 !== 'string' || !SHA256_PATTERN.test(sha256)) {
      fail(`${at}.sha256`, `expected 64 lower-case hex characters, got ${describe(sha256)}`);
    }
    return { file, label: label as number, sha256: sha256 as string };
  });
}

function isSafeRelativePath(file: string): boolean {
  if (file.includes('\\') || file.startsWith('/') || /^[A-Za-z]:/.test(file)) return false;
  return file.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

function requireObject(value: unknown, at: string, fail: Fail): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(at, `expected an object, got ${describe(value)}`);
  }
  return value as Json;
}

function requireNonEmptyString(value: unknown, at: string, fail: Fail): string {
  if (typeof value !== 'string' || value.trim() === '')
    fail(at, `expected a non-empty string, got ${describe(value)}`);
  return value as string;
}

function rejectUnknownKeys(obj: Json, at: string, allowed: readonly string[], fail: Fail): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      fail(at === '' ? key : `${at}.${key}`, `unknown key (allowed: ${allowed.join(', ')})`);
    }
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (typeof value === 'object') return 'an object';
  return String(value);
}
