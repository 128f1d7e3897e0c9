import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/*
 * The safetensors format (https://github.com/huggingface/safetensors):
 *   [8 bytes] N, little-endian u64
 *   [N bytes] UTF-8 JSON header {"__metadata__": {str: str}, "<name>": {"dtype", "shape", "data_offsets": [b, e]}, ...}
 *   [rest]    the byte buffer; data_offsets are relative to its start, tensors are little-endian, C order.
 * The reader converts every floating-point tensor to a Float32Array; integer, boolean and 8-bit float tensors
 * are validated like the others but then rejected, because nothing in a ViT checkpoint we load is stored that
 * way and a silent int → float conversion could hide a wrong file.
 */

/** Every dtype the format defines; the reader knows their sizes so it can validate any file. */
export type SafetensorsDtype =
  | 'F64'
  | 'F32'
  | 'F16'
  | 'BF16'
  | 'I64'
  | 'I32'
  | 'I16'
  | 'I8'
  | 'U64'
  | 'U32'
  | 'U16'
  | 'U8'
  | 'BOOL'
  | 'F8_E4M3'
  | 'F8_E5M2';

/** The dtypes the reader converts to Float32Array. */
export type SafetensorsFloatDtype = 'F64' | 'F32' | 'F16' | 'BF16';

export interface NamedTensor {
  /** The dtype stored in the file; `data` is always float32. */
  readonly dtype: SafetensorsFloatDtype;
  readonly shape: number[];
  /** The values in C (row-major) order, converted to float32 (exact for F32, F16 and BF16). */
  readonly data: Float32Array;
}

export interface SafetensorsContents {
  /** The header's `__metadata__` (empty when absent). */
  readonly metadata: Record<string, string>;
  /** Tensors by name, in header order. */
  readonly tensors: Map<string, NamedTensor>;
}

/** A tensor to write: F32, C (row-major) order, `data.length` = product of `shape` (1 for a scalar, shape []). */
export interface TensorToWrite {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export type TensorsToWrite = ReadonlyMap<string, TensorToWrite> | Readonly<Record<string, TensorToWrite>>;

/** A file (or buffer) that is not a valid safetensors file, or tensors that cannot be written as one. */
export class SafetensorsError extends Error {
  override readonly name = 'SafetensorsError';

  constructor(
    /** The file path, or '<buffer>' / '<writer>'. */
    readonly source: string,
    /** The tensor at fault, when there is one. */
    readonly tensor: string | undefined,
    readonly problem: string,
  ) {
    super(`${source}: ${tensor === undefined ? '' : `tensor '${tensor}': `}${problem}`);
  }
}

/** The reference implementation's limit on the JSON header; a larger length means a corrupt or hostile file. */
export const MAX_HEADER_BYTES = 100_000_000;

const METADATA_KEY = '__metadata__';

const DTYPE_BYTES: Readonly<Record<SafetensorsDtype, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
};

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

interface TensorEntry {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: number[];
  readonly begin: number;
  readonly end: number;
}

/** Parses and validates a safetensors file held in memory. `source` names it in error messages. */
export function readSafetensors(bytes: Uint8Array, source = '<buffer>'): SafetensorsContents {
  const fail = (problem: string, tensor?: string): never => {
    throw new SafetensorsError(source, tensor, problem);
  };
  if (!(bytes instanceof Uint8Array)) fail('expected the file contents as a Uint8Array');
  if (bytes.length < 8) {
    fail(`file is ${bytes.length} bytes long, shorter than the 8-byte header length prefix`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) {
    fail(
      `header length ${headerLength} bytes exceeds the ${MAX_HEADER_BYTES}-byte limit; the file is corrupt`,
    );
  }
  const headerEnd = 8 + Number(headerLength);
  if (headerEnd > bytes.length) {
    fail(
      `header length ${headerLength} bytes runs past the end of the file (${bytes.length - 8} bytes follow the length prefix)`,
    );
  }

  let headerText: string;
  try {
    headerText = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, headerEnd));
  } catch {
    return fail('header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(headerText);
  } catch (error) {
    return fail(`header is not valid JSON (${(error as Error).message})`);
  }
  if (!isPlainObject(header)) fail('header must be a JSON object');
  const headerObject = header as Record<string, unknown>;

  const metadata: Record<string, string> = {};
  const rawMetadata = headerObject[METADATA_KEY];
  if (rawMetadata !== undefined) {
    if (!isPlainObject(rawMetadata)) fail(`${METADATA_KEY} must be an object of strings`);
    for (const [key, value] of Object.entries(rawMetadata as Record<string, unknown>)) {
      if (typeof value !== 'string') {
        fail(`${METADATA_KEY}['${key}'] must be a string, got ${JSON.stringify(value)}`);
      }
      metadata[key] = value as string;
    }
  }

  const dataLength = bytes.length - headerEnd;
  const entries: TensorEntry[] = [];
  for (const [name, raw] of Object.entries(headerObject)) {
    if (name === METADATA_KEY) continue;
    entries.push(parseEntry(name, raw, dataLength, fail));
  }
  checkCoverage(entries, dataLength, fail);

  const tensors = new Map<string, NamedTensor>();
  for (const entry of entries) {
    tensors.set(entry.name, {
      dtype: entry.dtype as SafetensorsFloatDtype,
      shape: entry.shape,
      data: decode(entry, bytes, view, headerEnd, fail),
    });
  }
  return { metadata, tensors };
}

/**
 * Serialises tensors as an F32 safetensors file: tensors in name order (by Unicode code point, as the
 * reference implementation sorts), stored contiguously, the JSON header padded with spaces to a multiple
 * of 8 bytes so the data starts aligned. `__metadata__` is written only when `metadata` has entries.
 */
export function writeSafetensors(
  tensors: TensorsToWrite,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  const source = '<writer>';
  const list =
    tensors instanceof Map ? [...tensors] : Object.entries(tensors as Record<string, TensorToWrite>);
  const names = list.map(([name]) => name);
  const byName = new Map(list);

  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    if (!isPlainObject(metadata)) {
      throw new SafetensorsError(source, undefined, 'metadata must be an object of strings');
    }
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== 'string') {
        throw new SafetensorsError(
          source,
          undefined,
          `metadata['${key}'] must be a string, got ${typeof value}`,
        );
      }
    }
    if (Object.keys(metadata).length > 0) header[METADATA_KEY] = { ...metadata };
  }

  names.sort(compareCodePoints);
  let offset = 0;
  for (const name of names) {
    const { shape, data } = byName.get(name) as TensorToWrite;
    const fail = (problem: string): never => {
      throw new SafetensorsError(source, name, problem);
    };
    if (name === METADATA_KEY) fail(`'${METADATA_KEY}' is reserved for the metadata`);
    if (!(data instanceof Float32Array)) fail('data must be a Float32Array');
    if (!Array.isArray(shape)) fail('shape must be an array of dimensions');
    shape.forEach((dim, k) => {
      if (!Number.isSafeInteger(dim) || dim < 0) fail(`shape[${k}] must be an integer ≥ 0, got ${dim}`);
    });
    const count = shape.reduce((a, b) => a * b, 1);
    if (count * 4 !== data.byteLength) {
      fail(`shape [${shape.join(', ')}] needs ${count * 4} bytes of F32 but data holds ${data.byteLength}`);
    }
    header[name] = { dtype: 'F32', shape: [...shape], data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }

  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);

  let position = 8 + headerLength;
  for (const name of names) {
    const { data } = byName.get(name) as TensorToWrite;
    if (LITTLE_ENDIAN_HOST) {
      out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), position);
    } else {
      data.forEach((value, k) => view.setFloat32(position + 4 * k, value, true));
    }
    position += data.byteLength;
  }
  return out;
}

/** Reads and validates a safetensors file; errors name the path. */
export async function readSafetensorsFile(path: string): Promise<SafetensorsContents> {
  return readSafetensors(await readFile(path), path);
}

/**
 * Writes an F32 safetensors file atomically: the bytes go to a temporary file in the same directory, which
 * is flushed to disk and then renamed over `path`. A crash or error leaves either the old file or the new
 * one, never a half-written checkpoint; the temporary file is removed on error.
 */
export async function writeSafetensorsFile(
  path: string,
  tensors: TensorsToWrite,
  metadata?: Readonly<Record<string, string>>,
): Promise<void> {
  const bytes = writeSafetensors(tensors, metadata);
  const directory = dirname(path);
  const temporary = join(
    directory,
    `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
  const handle = await open(temporary, 'wx');
  try {
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  await syncDirectory(directory);
}

/** Makes the rename itself durable where the platform allows opening a directory (not on Windows). */
async function syncDirectory(directory: string): Promise<void> {
  let handle;
  try {
    handle = await open(directory, 'r');
    await handle.sync();
  } catch {
    // Best effort: the data is already flushed; only the directory entry's durability is at stake.
  } finally {
    await handle?.close();
  }
}

function parseEntry(
  name: string,
  raw: unknown,
  dataLength: number,
  fail: (problem: string, tensor?: string) => never,
): TensorEntry {
  if (!isPlainObject(raw)) fail('header entry must be an object with dtype, shape and data_offsets', name);
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, dtype)) {
    fail(
      `unknown dtype ${JSON.stringify(dtype)}; expected one of ${Object.keys(DTYPE_BYTES).join(', ')}`,
      name,
    );
  }
  if (!Array.isArray(shape)) fail(`shape must be an array of dimensions, got ${JSON.stringify(shape)}`, name);
  (shape as unknown[]).forEach((dim, k) => {
    if (typeof dim !== 'number' || !Number.isSafeInteger(dim) || dim < 0) {
      fail(`shape[${k}] must be an integer ≥ 0, got ${JSON.stringify(dim)}`, name);
    }
  });
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0)
  ) {
    fail(`data_offsets must be two integers [begin, end] ≥ 0, got ${JSON.stringify(offsets)}`, name);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) fail(`data_offsets [${begin}, ${end}] end before they begin`, name);
  if (end > dataLength) {
    fail(`data_offsets [${begin}, ${end}] reach beyond the ${dataLength}-byte data buffer`, name);
  }
  const dims = shape as number[];
  const expected = dims.reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype as SafetensorsDtype];
  if (expected !== end - begin) {
    fail(
      `shape [${dims.join(', ')}] of ${dtype} needs ${expected} bytes, but data_offsets [${begin}, ${end}] hold ${end - begin}`,
      name,
    );
  }
  return { name, dtype: dtype as SafetensorsDtype, shape: [...dims], begin, end };
}

/** The tensors must tile the byte buffer exactly: no overlap, no gap, no trailing bytes. */
function checkCoverage(
  entries: readonly TensorEntry[],
  dataLength: number,
  fail: (problem: string, tensor?: string) => never,
): void {
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: TensorEntry | undefined;
  for (const entry of byOffset) {
    if (entry.begin < covered) {
      fail(
        `data_offsets [${entry.begin}, ${entry.end}] overlap tensor '${previous?.name}' [${previous?.begin}, ${previous?.end}]`,
        entry.name,
      );
    }
    if (entry.begin > covered) {
      fail(`bytes [${covered}, ${entry.begin}) of the data buffer are not covered by any tensor`);
    }
    covered = entry.end;
    previous = entry;
  }
  if (covered < dataLength) {
    fail(`${dataLength - covered} trailing bytes [${covered}, ${dataLength}) are not covered by any tensor`);
  }
}

function decode(
  entry: TensorEntry,
  bytes: Uint8Array,
  view: DataView,
  headerEnd: number,
  fail: (problem: string, tensor?: string) => never,
): Float32Array {
  const start = headerEnd + entry.begin;
  const count = (entry.end - entry.begin) / DTYPE_BYTES[entry.dtype];
  switch (entry.dtype) {
    case 'F32': {
      if (LITTLE_ENDIAN_HOST) {
        const absolute = bytes.byteOffset + start;
        return new Float32Array(bytes.buffer.slice(absolute, absolute + count * 4));
      }
      const out = new Float32Array(count);
      for (let k = 0; k < count; k++) out[k] = view.getFloat32(start + 4 * k, true);
      return out;
    }
    case 'F64': {
      const out = new Float32Array(count);
      for (let k = 0; k < count; k++) {
        const value = view.getFloat64(start + 8 * k, true);
        out[k] = value;
        if (Number.isFinite(value) && !Number.isFinite(out[k])) {
          fail(`F64 value ${value} at index ${k} is outside the float32 range`, entry.name);
        }
      }
      return out;
    }
    case 'F16': {
      const table = halfToFloatTable();
      const out = new Float32Array(count);
      const outBits = new Uint32Array(out.buffer);
      const tableBits = new Uint32Array(table.buffer);
      for (let k = 0; k < count; k++) outBits[k] = tableBits[view.getUint16(start + 2 * k, true)];
      return out;
    }
    case 'BF16': {
      // bfloat16 is the upper half of a float32: shifting the bits back is exact, NaN payloads included.
      const out = new Float32Array(count);
      const outBits = new Uint32Array(out.buffer);
      for (let k = 0; k < count; k++) outBits[k] = view.getUint16(start + 2 * k, true) << 16;
      return out;
    }
    default:
      return fail(
        `dtype ${entry.dtype} is not supported for weights; only F64, F32, F16 and BF16 tensors can be read`,
        entry.name,
      );
  }
}

let halfTable: Float32Array | undefined;

/** float32 bits of all 65536 IEEE binary16 values; every one is exactly representable in float32. */
function halfToFloatTable(): Float32Array {
  if (halfTable) return halfTable;
  const table = new Float32Array(65536);
  const bits = new Uint32Array(table.buffer);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exponent = (h >> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    if (exponent === 0) {
      table[h] = (sign ? -1 : 1) * mantissa * 2 ** -24; // zero or subnormal: mantissa · 2^-24
    } else if (exponent === 0x1f) {
      bits[h] = sign | 0x7f800000 | (mantissa << 13); // infinity or NaN (payload kept)
    } else {
      bits[h] = sign | ((exponent - 15 + 127) << 23) | (mantissa << 13);
    }
  }
  halfTable = table;
  return table;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Orders strings by Unicode code point (= UTF-8 byte order), unlike the default UTF-16 code-unit sort. */
function compareCodePoints(a: string, b: string): number {
  const left = [...a];
  const right = [...b];
  for (let k = 0; k < Math.min(left.length, right.length); k++) {
    const difference = (left[k].codePointAt(0) as number) - (right[k].codePointAt(0) as number);
    if (difference !== 0) return difference;
  }
  return left.length - right.length;
}
