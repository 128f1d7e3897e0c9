import type { NamedTensor, SafetensorsFloatDtype } from './safetensors';

/*
 * The file `torch.save` writes (PyTorch ≥ 1.6): a zip archive of stored (uncompressed) records
 *   <prefix>/data.pkl        the saved object, a pickle (protocol 2) whose tensors point at storages
 *   <prefix>/data/<key>      each storage's raw bytes, in the byte order of <prefix>/byteorder
 *   <prefix>/byteorder       'little' or 'big' (absent in files from before PyTorch 1.10: little)
 *   <prefix>/version         the archive format version
 * A tensor is pickled as a call `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)`
 * whose storage is a persistent id ('storage', torch.FloatStorage, key, location, numel).
 *
 * This reader never runs code from the file. Its pickle interpreter understands the opcodes that carry
 * data (numbers, strings, tuples, lists, dicts, the memo) and allows GLOBAL/REDUCE only for the handful of
 * names a state dict of tensors needs (ALLOWED_GLOBALS); every other global is refused where it appears.
 * Tensors are returned as references; only the ones asked for are decoded, to float32.
 */

/** A file (or buffer) that is not a torch.save archive this reader accepts. */
export class TorchCheckpointError extends Error {
  override readonly name = 'TorchCheckpointError';

  constructor(
    /** The file path, or '<buffer>'. */
    readonly source: string,
    /** The tensor (state-dict key) at fault, when there is one. */
    readonly tensor: string | undefined,
    readonly problem: string,
  ) {
    super(`${source}: ${tensor === undefined ? '' : `tensor '${tensor}': `}${problem}`);
  }
}

type Fail = (problem: string, tensor?: string) => never;

const failFor =
  (source: string): Fail =>
  (problem, tensor) => {
    throw new TorchCheckpointError(source, tensor, problem);
  };

// ---------------------------------------------------------------------------------------------------------
// Zip (stored entries only, ZIP64 aware)

/** One record of a zip archive, from its central directory. */
export interface ZipEntry {
  readonly name: string;
  /** 0 = stored; anything else is a compression method this reader refuses. */
  readonly method: number;
  readonly flags: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localHeaderOffset: number;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_END = 0x06054b50;
const SIG_ZIP64_END = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EXTRA = 0x0001;
const U16_MAX = 0xffff;
const U32_MAX = 0xffffffff;
const END_RECORD_BYTES = 22;
const MAX_ZIP_COMMENT = 0xffff;

/** True when the bytes start like a zip archive's first local file header (`PK\x03\x04`). */
export function isZipArchive(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04
  );
}

function dataView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function u64(view: DataView, at: number, what: string, fail: Fail): number {
  const value = view.getBigUint64(at, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) fail(`${what} ${value} is too large`);
  return Number(value);
}

/** Reads a zip archive's central directory (ZIP64 sizes and offsets included), by entry name. */
export function readZipDirectory(bytes: Uint8Array, source = '<buffer>'): Map<string, ZipEntry> {
  const fail: Fail = failFor(source);
  const view = dataView(bytes);
  const end = findEndRecord(bytes, view);
  if (end < 0) {
    fail(
      `no zip end-of-central-directory record: the file is truncated or not a zip archive (${bytes.length} bytes)`,
    );
  }
  let count = view.getUint16(end + 10, true);
  let directorySize = view.getUint32(end + 12, true);
  let directoryOffset = view.getUint32(end + 16, true);
  const locator = end - 20;
  if (locator >= 0 && view.getUint32(locator, true) === SIG_ZIP64_LOCATOR) {
    const record = u64(view, locator + 8, 'ZIP64 end record offset', fail);
    if (record + 56 > locator || view.getUint32(record, true) !== SIG_ZIP64_END) {
      fail(`the ZIP64 end-of-central-directory locator points at byte ${record}, where no ZIP64 record is`);
    }
    count = u64(view, record + 32, 'entry count', fail);
    directorySize = u64(view, record + 40, 'central directory size', fail);
    directoryOffset = u64(view, record + 48, 'central directory offset', fail);
  } else if (count === U16_MAX || directorySize === U32_MAX || directoryOffset === U32_MAX) {
    fail('the end-of-central-directory record needs ZIP64 values, but the ZIP64 locator is missing');
  }
  if (directoryOffset + directorySize > bytes.length) {
    fail(
      `the central directory [${directoryOffset}, ${directoryOffset + directorySize}) runs past the end of the ${bytes.length}-byte file: it is truncated`,
    );
  }

  const entries = new Map<string, ZipEntry>();
  const decoder = new TextDecoder('utf-8');
  let at = directoryOffset;
  for (let k = 0; k < count; k++) {
    if (at + 46 > directoryOffset + directorySize || view.getUint32(at, true) !== SIG_CENTRAL) {
      fail(`central directory entry ${k} of ${count} at byte ${at} is malformed`);
    }
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const next = at + 46 + nameLength + extraLength + commentLength;
    if (next > directoryOffset + directorySize) fail(`central directory entry ${k} runs past the directory`);
    const name = decoder.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    let size = view.getUint32(at + 24, true);
    let compressedSize = view.getUint32(at + 20, true);
    let localHeaderOffset = view.getUint32(at + 42, true);
    if (size === U32_MAX || compressedSize === U32_MAX || localHeaderOffset === U32_MAX) {
      // The ZIP64 extra field holds, in this order, only the values whose 32-bit field is saturated.
      const zip64 = findExtra(view, at + 46 + nameLength, extraLength, ZIP64_EXTRA);
      if (!zip64) fail(`entry '${name}' has 32-bit fields saturated but no ZIP64 extra field`);
      let p = (zip64 as { start: number; length: number }).start;
      const limit = p + (zip64 as { start: number; length: number }).length;
      const take = (what: string): number => {
        if (p + 8 > limit) fail(`entry '${name}': the ZIP64 extra field is too short for its ${what}`);
        const value = u64(view, p, `entry '${name}' ${what}`, fail);
        p += 8;
        return value;
      };
      if (size === U32_MAX) size = take('size');
      if (compressedSize === U32_MAX) compressedSize = take('compressed size');
      if (localHeaderOffset === U32_MAX) localHeaderOffset = take('local header offset');
    }
    if (entries.has(name)) fail(`the archive holds two entries named '${name}'`);
    entries.set(name, {
      name,
      method: view.getUint16(at + 10, true),
      flags: view.getUint16(at + 8, true),
      crc32: view.getUint32(at + 16, true),
      compressedSize,
      size,
      localHeaderOffset,
    });
    at = next;
  }
  return entries;
}

function findEndRecord(bytes: Uint8Array, view: DataView): number {
  const lowest = Math.max(0, bytes.length - END_RECORD_BYTES - MAX_ZIP_COMMENT);
  for (let at = bytes.length - END_RECORD_BYTES; at >= lowest; at--) {
    if (
      view.getUint32(at, true) === SIG_END &&
      at + END_RECORD_BYTES + view.getUint16(at + 20, true) <= bytes.length
    )
      return at;
  }
  return -1;
}

function findExtra(
  view: DataView,
  start: number,
  length: number,
  id: number,
): { start: number; length: number } | undefined {
  for (let p = start; p + 4 <= start + length;) {
    const size = view.getUint16(p + 2, true);
    if (view.getUint16(p, true) === id)
      return { start: p + 4, length: Math.min(size, start + length - p - 4) };
    p += 4 + size;
  }
  return undefined;
}

/**
 * The bytes of one stored entry, checked against its local header and (when the archive recorded one) its
 * CRC-32. Compressed or encrypted entries are refused: torch.save never writes them.
 */
export function zipEntryData(bytes: Uint8Array, entry: ZipEntry, source = '<buffer>'): Uint8Array {
  const fail: Fail = failFor(source);
  if (entry.flags & 0x1) fail(`zip entry '${entry.name}' is encrypted`);
  if (entry.method !== 0) {
    fail(
      `zip entry '${entry.name}' is compressed (method ${entry.method}${entry.method === 8 ? ', deflate' : ''}); torch.save stores records uncompressed, so re-save the checkpoint with torch.save instead of re-zipping it`,
    );
  }
  if (entry.compressedSize !== entry.size) {
    fail(
      `zip entry '${entry.name}' is stored but its sizes differ (${entry.compressedSize} vs ${entry.size})`,
    );
  }
  const view = dataView(bytes);
  const header = entry.localHeaderOffset;
  if (header + 30 > bytes.length || view.getUint32(header, true) !== SIG_LOCAL) {
    fail(
      `zip entry '${entry.name}': no local file header at byte ${header}; the file is truncated or corrupt`,
    );
  }
  const start = header + 30 + view.getUint16(header + 26, true) + view.getUint16(header + 28, true);
  const end = start + entry.size;
  if (end > bytes.length) {
    fail(
      `zip entry '${entry.name}' [${start}, ${end}) runs past the end of the ${bytes.length}-byte file: it is truncated`,
    );
  }
  const data = bytes.subarray(start, end);
  // torch.save writes 0 when asked not to compute CRCs (torch.utils.serialization.config.save.compute_crc32).
  if (entry.crc32 !== 0) {
    const actual = crc32(data);
    if (actual !== entry.crc32) {
      fail(
        `zip entry '${entry.name}' is corrupt: CRC-32 ${hex32(actual)} does not match ${hex32(entry.crc32)} recorded`,
      );
    }
  }
  return data;
}

const hex32 = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) as zip records it. */
export function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  const table = crcTable;
  let c = 0xffffffff;
  for (let k = 0; k < data.length; k++) c = table[(c ^ data[k]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---------------------------------------------------------------------------------------------------------
// Pickle values

/** A Python tuple (lists are plain arrays). */
export class PickleTuple {
  constructor(readonly items: readonly PickleValue[]) {}
}

/** A Python dict or OrderedDict, in insertion order. */
export class PickleDict {
  readonly items = new Map<PickleValue, PickleValue>();
  /** What BUILD set on it (a state dict's `{'_metadata': ...}`), if anything. */
  state: PickleValue | undefined;
}

/** An allow-listed global (a storage class, or a function REDUCE may call). */
export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}

  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** The element types of torch storages. */
export type TorchDtype =
  'float32' | 'float16' | 'bfloat16' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

/** The storage classes torch.save names in persistent ids, with their element type and size. */
const STORAGE_CLASSES: Readonly<Record<string, { dtype: TorchDtype; bytes: number }>> = {
  FloatStorage: { dtype: 'float32', bytes: 4 },
  HalfStorage: { dtype: 'float16', bytes: 2 },
  BFloat16Storage: { dtype: 'bfloat16', bytes: 2 },
  DoubleStorage: { dtype: 'float64', bytes: 8 },
  LongStorage: { dtype: 'int64', bytes: 8 },
  IntStorage: { dtype: 'int32', bytes: 4 },
  ShortStorage: { dtype: 'int16', bytes: 2 },
  CharStorage: { dtype: 'int8', bytes: 1 },
  ByteStorage: { dtype: 'uint8', bytes: 1 },
  BoolStorage: { dtype: 'bool', bytes: 1 },
};

/** A storage record of the archive, as its persistent id describes it (not yet read). */
export class TorchStorageRef {
  constructor(
    readonly dtype: TorchDtype,
    /** The record name under `<prefix>/data/`. */
    readonly key: string,
    /** Where it lived when saved ('cpu', 'cuda:0', ...); the bytes are the same. */
    readonly location: string,
    /** Its number of elements. */
    readonly numel: number,
  ) {}
}

/** A tensor as pickled: a strided view of a storage (not yet read). */
export class TorchTensorRef {
  constructor(
    readonly storage: TorchStorageRef,
    /** In elements. */
    readonly offset: number,
    readonly size: readonly number[],
    /** In elements, one per dimension. */
    readonly stride: readonly number[],
  ) {}
}

export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | PickleTuple
  | PickleDict
  | PickleGlobal
  | TorchStorageRef
  | TorchTensorRef;

/** Globals a plain state dict of tensors needs; every other one is refused. */
export const ALLOWED_GLOBALS: readonly string[] = [
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_parameter',
  'collections.OrderedDict',
  'torch.Size',
  ...Object.keys(STORAGE_CLASSES).map((name) => `torch.${name}`),
];

const ALLOWED = new Set(ALLOWED_GLOBALS);

/** Resolves a BINPERSID id; `at` is the opcode's byte offset. */
export type PersistentLoad = (pid: PickleValue, at: number) => PickleValue;

/** Describes a value's Python type for error messages. */
export function pickleTypeName(value: PickleValue | undefined): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'None';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'string') return 'str';
  if (value instanceof Uint8Array) return 'bytes';
  if (Array.isArray(value)) return 'list';
  if (value instanceof PickleTuple) return 'tuple';
  if (value instanceof PickleDict) return 'dict';
  if (value instanceof PickleGlobal) return value.qualifiedName;
  if (value instanceof TorchStorageRef) return 'storage';
  return 'tensor';
}

// ---------------------------------------------------------------------------------------------------------
// Pickle interpreter, restricted to data

const OP = {
  MARK: 0x28, // (
  STOP: 0x2e, // .
  POP: 0x30, // 0
  POP_MARK: 0x31, // 1
  DUP: 0x32, // 2
  BINBYTES: 0x42, // B
  SHORT_BINBYTES: 0x43, // C
  BINFLOAT: 0x47, // G
  BININT: 0x4a, // J
  BININT1: 0x4b, // K
  BININT2: 0x4d, // M
  NONE: 0x4e, // N
  BINPERSID: 0x51, // Q
  REDUCE: 0x52, // R
  BINUNICODE: 0x58, // X
  EMPTY_LIST: 0x5d, // ]
  APPEND: 0x61, // a
  BUILD: 0x62, // b
  GLOBAL: 0x63, // c
  APPENDS: 0x65, // e
  BINGET: 0x68, // h
  LONG_BINGET: 0x6a, // j
  BINPUT: 0x71, // q
  LONG_BINPUT: 0x72, // r
  SETITEM: 0x73, // s
  TUPLE: 0x74, // t
  SETITEMS: 0x75, // u
  EMPTY_DICT: 0x7d, // }
  EMPTY_TUPLE: 0x29, // )
  PROTO: 0x80,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  LONG1: 0x8a,
  LONG4: 0x8b,
  SHORT_BINUNICODE: 0x8c,
  BINUNICODE8: 0x8d,
  BINBYTES8: 0x8e,
  STACK_GLOBAL: 0x93,
  MEMOIZE: 0x94,
  FRAME: 0x95,
} as const;

/** Opcodes that build arbitrary objects; named in the refusal so the reason is plain. */
const OBJECT_OPCODES: Readonly<Record<number, string>> = {
  0x69: 'INST',
  0x6f: 'OBJ',
  0x81: 'NEWOBJ',
  0x92: 'NEWOBJ_EX',
  0x82: 'EXT1',
  0x83: 'EXT2',
  0x84: 'EXT4',
  0x50: 'PERSID',
};

function opcodeName(op: number): string {
  const printable = op >= 0x20 && op < 0x7f ? ` ('${String.fromCharCode(op)}')` : '';
  return `0x${op.toString(16).padStart(2, '0')}${printable}`;
}

/**
 * Interprets a pickle that holds data only: numbers, strings, bytes, tuples, lists, dicts and the
 * allow-listed torch globals (ALLOWED_GLOBALS). Any other global, any object-building opcode and any
 * unknown opcode is an error naming it and its byte offset. Nothing in the pickle is ever executed.
 */
export function unpickle(
  bytes: Uint8Array,
  source = '<buffer>',
  persistentLoad: PersistentLoad = (_pid, at) =>
    failFor(source)(`persistent id at byte ${at}, but this pickle has no storages to refer to`),
): PickleValue {
  const fail: Fail = failFor(source);
  const view = dataView(bytes);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  let stack: PickleValue[] = [];
  const marks: PickleValue[][] = [];
  const memo = new Map<number, PickleValue>();
  let pos = 0;
  let at = 0;

  const need = (n: number) => {
    if (pos + n > bytes.length) fail(`pickle is truncated: opcode at byte ${at} needs ${n} more bytes`);
  };
  const u8 = () => (need(1), bytes[pos++]);
  const u16 = () => (need(2), (pos += 2), view.getUint16(pos - 2, true));
  const u32 = () => (need(4), (pos += 4), view.getUint32(pos - 4, true));
  const i32 = () => (need(4), (pos += 4), view.getInt32(pos - 4, true));
  const u64n = () => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(bytes.length)) fail(`pickle length ${v} at byte ${at} exceeds the pickle's size`);
    return Number(v);
  };
  const take = (n: number) => (need(n), (pos += n), bytes.subarray(pos - n, pos));
  const text = (n: number) => {
    const raw = take(n);
    try {
      return utf8.decode(raw);
    } catch {
      return fail(`string at byte ${at} is not valid UTF-8`);
    }
  };
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail(`pickle is truncated: GLOBAL at byte ${at} has no end of line`);
    const s = new TextDecoder('latin1').decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const pop = (): PickleValue => {
    if (stack.length === 0) fail(`pickle stack underflow at byte ${at}`);
    return stack.pop() as PickleValue;
  };
  const top = (): PickleValue => {
    if (stack.length === 0) fail(`pickle stack underflow at byte ${at}`);
    return stack[stack.length - 1];
  };
  const popMark = (): PickleValue[] => {
    if (marks.length === 0) fail(`pickle opcode at byte ${at} needs a MARK, but none is open`);
    const items = stack;
    stack = marks.pop() as PickleValue[];
    return items;
  };
  const long = (raw: Uint8Array): number | bigint => {
    if (raw.length === 0) return 0;
    let v = 0n;
    for (let k = raw.length - 1; k >= 0; k--) v = (v << 8n) | BigInt(raw[k]);
    if (raw[raw.length - 1] & 0x80) v -= 1n << BigInt(8 * raw.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const global = (module: string, name: string): PickleGlobal => {
    const qualified = `${module}.${name}`;
    if (!ALLOWED.has(qualified)) {
      fail(`refusing global ${qualified} at byte ${at}: only plain state dicts of tensors are read`);
    }
    return new PickleGlobal(module, name);
  };
  const dictOf = (target: PickleValue, what: string): PickleDict => {
    if (!(target instanceof PickleDict)) fail(`${what} at byte ${at} applies to a ${pickleTypeName(target)}`);
    return target as PickleDict;
  };
  const listOf = (target: PickleValue, what: string): PickleValue[] => {
    if (!Array.isArray(target)) fail(`${what} at byte ${at} applies to a ${pickleTypeName(target)}`);
    return target as PickleValue[];
  };

  for (;;) {
    at = pos;
    if (pos >= bytes.length) fail(`pickle is truncated: no STOP opcode before byte ${pos}`);
    const op = bytes[pos++];
    switch (op) {
      case OP.PROTO: {
        const protocol = u8();
        if (protocol > 5) fail(`pickle protocol ${protocol} is not supported`);
        break;
      }
      case OP.FRAME:
        need(8);
        pos += 8; // framing only groups opcodes; the data follows inline
        break;
      case OP.STOP:
        if (marks.length > 0) fail(`pickle ends at byte ${at} with a MARK still open`);
        return pop();
      case OP.MARK:
        marks.push(stack);
        stack = [];
        break;
      case OP.POP:
        pop();
        break;
      case OP.POP_MARK:
        popMark();
        break;
      case OP.DUP:
        stack.push(top());
        break;
      case OP.NONE:
        stack.push(null);
        break;
      case OP.NEWTRUE:
        stack.push(true);
        break;
      case OP.NEWFALSE:
        stack.push(false);
        break;
      case OP.BININT:
        stack.push(i32());
        break;
      case OP.BININT1:
        stack.push(u8());
        break;
      case OP.BININT2:
        stack.push(u16());
        break;
      case OP.LONG1:
        stack.push(long(take(u8())));
        break;
      case OP.LONG4: {
        const n = i32();
        if (n < 0) fail(`LONG4 at byte ${at} has a negative length`);
        stack.push(long(take(n)));
        break;
      }
      case OP.BINFLOAT:
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case OP.SHORT_BINUNICODE:
        stack.push(text(u8()));
        break;
      case OP.BINUNICODE:
        stack.push(text(u32()));
        break;
      case OP.BINUNICODE8:
        stack.push(text(u64n()));
        break;
      case OP.SHORT_BINBYTES:
        stack.push(take(u8()).slice());
        break;
      case OP.BINBYTES:
        stack.push(take(u32()).slice());
        break;
      case OP.BINBYTES8:
        stack.push(take(u64n()).slice());
        break;
      case OP.EMPTY_TUPLE:
        stack.push(new PickleTuple([]));
        break;
      case OP.TUPLE1:
        stack.push(new PickleTuple([pop()]));
        break;
      case OP.TUPLE2: {
        const b = pop();
        stack.push(new PickleTuple([pop(), b]));
        break;
      }
      case OP.TUPLE3: {
        const c = pop();
        const b = pop();
        stack.push(new PickleTuple([pop(), b, c]));
        break;
      }
      case OP.TUPLE: {
        const items = popMark(); // before `stack.` is evaluated: popMark replaces the stack
        stack.push(new PickleTuple(items));
        break;
      }
      case OP.EMPTY_LIST:
        stack.push([]);
        break;
      case OP.EMPTY_DICT:
        stack.push(new PickleDict());
        break;
      case OP.APPEND: {
        const item = pop();
        listOf(top(), 'APPEND').push(item);
        break;
      }
      case OP.APPENDS: {
        const items = popMark();
        listOf(top(), 'APPENDS').push(...items);
        break;
      }
      case OP.SETITEM: {
        const v = pop();
        const k = pop();
        dictOf(top(), 'SETITEM').items.set(k, v);
        break;
      }
      case OP.SETITEMS: {
        const items = popMark();
        if (items.length % 2 !== 0) fail(`SETITEMS at byte ${at} has an odd number of items`);
        const dict = dictOf(top(), 'SETITEMS');
        for (let k = 0; k < items.length; k += 2) dict.items.set(items[k], items[k + 1]);
        break;
      }
      case OP.BINPUT:
        memo.set(u8(), top());
        break;
      case OP.LONG_BINPUT:
        memo.set(u32(), top());
        break;
      case OP.MEMOIZE:
        memo.set(memo.size, top());
        break;
      case OP.BINGET:
      case OP.LONG_BINGET: {
        const index = op === OP.BINGET ? u8() : u32();
        if (!memo.has(index)) fail(`memo entry ${index} read at byte ${at} was never stored`);
        stack.push(memo.get(index) as PickleValue);
        break;
      }
      case OP.GLOBAL: {
        const module = line();
        stack.push(global(module, line()));
        break;
      }
      case OP.STACK_GLOBAL: {
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') {
          fail(`STACK_GLOBAL at byte ${at} needs two strings`);
        }
        stack.push(global(module as string, name as string));
        break;
      }
      case OP.REDUCE: {
        const args = pop();
        const callable = pop();
        stack.push(reduce(callable, args, at, fail));
        break;
      }
      case OP.BUILD: {
        const state = pop();
        const target = top();
        if (!(target instanceof PickleDict)) {
          fail(`BUILD at byte ${at} sets state on a ${pickleTypeName(target)}; only dicts may carry state`);
        }
        (target as PickleDict).state = state;
        break;
      }
      case OP.BINPERSID:
        stack.push(persistentLoad(pop(), at));
        break;
      default:
        if (op in OBJECT_OPCODES) {
          fail(
            `refusing pickle opcode ${OBJECT_OPCODES[op]} at byte ${at}: it builds arbitrary objects, and only plain state dicts of tensors are read`,
          );
        }
        fail(`unsupported pickle opcode ${opcodeName(op)} at byte ${at}`);
    }
  }
}

const isInt = (v: PickleValue): v is number => typeof v === 'number' && Number.isSafeInteger(v);

function intTuple(value: PickleValue, what: string, at: number, fail: Fail): number[] {
  if (!(value instanceof PickleTuple) || !value.items.every((v) => isInt(v) && v >= 0)) {
    fail(`${what} at byte ${at} must be a tuple of integers ≥ 0, got a ${pickleTypeName(value)}`);
  }
  return [...(value as PickleTuple).items] as number[];
}

/** REDUCE for the allow-listed callables: builds the value, never calls anything. */
function reduce(callable: PickleValue, args: PickleValue, at: number, fail: Fail): PickleValue {
  if (!(callable instanceof PickleGlobal)) {
    fail(`REDUCE at byte ${at} calls a ${pickleTypeName(callable)}, which is not an allowed global`);
  }
  if (!(args instanceof PickleTuple)) fail(`REDUCE at byte ${at} needs a tuple of arguments`);
  const fn = (callable as PickleGlobal).qualifiedName;
  const a = (args as PickleTuple).items;
  switch (fn) {
    case 'collections.OrderedDict': {
      const dict = new PickleDict();
      if (a.length === 0) return dict;
      if (a.length === 1 && (Array.isArray(a[0]) || a[0] instanceof PickleTuple)) {
        const pairs = Array.isArray(a[0]) ? a[0] : a[0].items;
        for (const pair of pairs) {
          const kv = Array.isArray(pair) ? pair : pair instanceof PickleTuple ? pair.items : undefined;
          if (!kv || kv.length !== 2) fail(`OrderedDict at byte ${at} needs (key, value) pairs`);
          dict.items.set((kv as PickleValue[])[0], (kv as PickleValue[])[1]);
        }
        return dict;
      }
      return fail(`OrderedDict at byte ${at} called with unexpected arguments`);
    }
    case 'torch.Size':
      if (a.length !== 1) fail(`torch.Size at byte ${at} needs one tuple`);
      return new PickleTuple(intTuple(a[0], 'torch.Size', at, fail));
    case 'torch._utils._rebuild_tensor':
    case 'torch._utils._rebuild_tensor_v2': {
      const v2 = fn.endsWith('_v2');
      if (v2 ? a.length < 6 || a.length > 7 : a.length !== 4) {
        fail(`${fn} at byte ${at} called with ${a.length} arguments`);
      }
      const [storage, offset, size, stride] = a;
      if (!(storage instanceof TorchStorageRef))
        fail(`${fn} at byte ${at} needs a storage, got a ${pickleTypeName(storage)}`);
      if (!isInt(offset) || offset < 0) fail(`${fn} at byte ${at}: storage offset must be an integer ≥ 0`);
      const dims = intTuple(size, `${fn} size`, at, fail);
      const strides = intTuple(stride, `${fn} stride`, at, fail);
      if (dims.length !== strides.length) {
        fail(`${fn} at byte ${at}: size [${dims}] and stride [${strides}] have different lengths`);
      }
      return new TorchTensorRef(storage as TorchStorageRef, offset as number, dims, strides);
    }
    case 'torch._utils._rebuild_parameter':
      if (a.length !== 3 || !(a[0] instanceof TorchTensorRef)) {
        fail(`${fn} at byte ${at} needs (tensor, requires_grad, hooks)`);
      }
      return a[0];
    default:
      return fail(`${fn} at byte ${at} is a type, not something a pickle may call`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// The torch.save archive

/** A torch.save archive: its unpickled object, and the records its tensors point at. */
export interface TorchArchive {
  readonly source: string;
  /** The record-name prefix (the saved file's stem, or 'archive'). */
  readonly prefix: string;
  /** The `<prefix>/version` record, trimmed, when present. */
  readonly version: string | undefined;
  /** The saved object, tensors as TorchTensorRef. */
  readonly root: PickleValue;
  readonly bytes: Uint8Array;
  readonly entries: ReadonlyMap<string, ZipEntry>;
}

/** `torch.save(_use_new_zipfile_serialization=False)` starts with PROTO 2 and this LONG1 magic number. */
const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

/** True for the pre-1.6 (non-zip) torch.save format. */
export function isLegacyTorchFile(bytes: Uint8Array): boolean {
  return bytes.length >= LEGACY_MAGIC.length && LEGACY_MAGIC.every((b, k) => bytes[k] === b);
}

/** Opens a torch.save zip archive and unpickles its object; tensors are not read yet (see decodeTensor). */
export function readTorchArchive(bytes: Uint8Array, source = '<buffer>'): TorchArchive {
  const fail: Fail = failFor(source);
  if (!(bytes instanceof Uint8Array)) fail('expected the file contents as a Uint8Array');
  if (isLegacyTorchFile(bytes)) {
    fail('legacy (pre-1.6) torch.save format: re-save with a current PyTorch (torch.save(torch.load(f), f))');
  }
  if (!isZipArchive(bytes)) {
    fail(
      bytes[0] === 0x80
        ? 'a bare pickle, not a torch.save zip archive; only torch.save files of PyTorch ≥ 1.6 are read'
        : 'not a torch.save file: it does not start with a zip header (PK\\x03\\x04)',
    );
  }
  const entries = readZipDirectory(bytes, source);
  const pickles = [...entries.keys()].filter((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (pickles.length !== 1) {
    const names = [...entries.keys()].slice(0, 5).join(', ');
    fail(
      pickles.length === 0
        ? `no <prefix>/data.pkl record: not a torch.save archive (records: ${names}${entries.size > 5 ? ', ...' : ''})`
        : `several data.pkl records (${pickles.join(', ')}): not a single torch.save archive`,
    );
  }
  const prefix = pickles[0].slice(0, -'/data.pkl'.length);
  if (
    entries.has(`${prefix}/constants.pkl`) ||
    [...entries.keys()].some((n) => n.startsWith(`${prefix}/code/`))
  ) {
    fail('a TorchScript archive (torch.jit.save), not a state dict: save model.state_dict() with torch.save');
  }
  const record = (name: string): string | undefined => {
    const entry = entries.get(`${prefix}/${name}`);
    return entry && new TextDecoder('latin1').decode(zipEntryData(bytes, entry, source)).trim();
  };
  const byteorder = record('byteorder');
  if (byteorder !== undefined && byteorder !== 'little') {
    fail(
      byteorder === 'big'
        ? 'big-endian checkpoint (byteorder big): only little-endian files are read'
        : `unknown byteorder '${byteorder}'`,
    );
  }

  const storages = new Map<string, TorchStorageRef>();
  const persistentLoad: PersistentLoad = (pid, at) => {
    const items = pid instanceof PickleTuple ? pid.items : undefined;
    if (!items || items.length !== 5 || items[0] !== 'storage') {
      return fail(`persistent id at byte ${at} is not ('storage', type, key, location, numel)`);
    }
    const [, type, key, location, numel] = items;
    const storageClass =
      type instanceof PickleGlobal && type.module === 'torch' ? STORAGE_CLASSES[type.name] : undefined;
    if (!storageClass) fail(`persistent id at byte ${at} names ${pickleTypeName(type)}, not a storage class`);
    if (typeof key !== 'string' || typeof location !== 'string' || !isInt(numel) || numel < 0) {
      fail(`persistent id at byte ${at} has a malformed key, location or size`);
    }
    const id = `${key as string}:${storageClass?.dtype}`;
    let storage = storages.get(id);
    if (!storage) {
      storage = new TorchStorageRef(
        storageClass?.dtype as TorchDtype,
        key as string,
        location as string,
        numel as number,
      );
      storages.set(id, storage);
    } else if (storage.numel !== numel) {
      fail(`storage '${key}' is described with ${storage.numel} and ${numel} elements at byte ${at}`);
    }
    return storage;
  };
  const pickle = zipEntryData(bytes, entries.get(pickles[0]) as ZipEntry, source);
  const root = unpickle(pickle, `${source} (${pickles[0]})`, persistentLoad);
  return { source, prefix, version: record('version'), root, bytes, entries };
}

const FLOAT_DTYPES: Readonly<Partial<Record<TorchDtype, SafetensorsFloatDtype>>> = {
  float32: 'F32',
  float16: 'F16',
  bfloat16: 'BF16',
  float64: 'F64',
};

const ELEMENT_BYTES: Readonly<Record<TorchDtype, number>> = Object.fromEntries(
  Object.values(STORAGE_CLASSES).map((c) => [c.dtype, c.bytes]),
) as Record<TorchDtype, number>;

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Reads one tensor's values from its storage record as float32 in C order: storage offset, size and
 * stride honoured (any view is made contiguous). float32, float16, bfloat16 and float64 are converted
 * (exactly, except float64 which rounds); other dtypes are an error naming `name`.
 */
export function decodeTensor(archive: TorchArchive, ref: TorchTensorRef, name: string): NamedTensor {
  const fail: Fail = failFor(archive.source);
  const { storage, offset, size, stride } = ref;
  const dtype = FLOAT_DTYPES[storage.dtype];
  if (!dtype) {
    fail(
      `dtype ${storage.dtype} is not a floating-point type; only float32, float16, bfloat16 and float64 tensors are read`,
      name,
    );
  }
  const recordName = `${archive.prefix}/data/${storage.key}`;
  const entry = archive.entries.get(recordName);
  if (!entry) fail(`storage record '${recordName}' is missing from the archive`, name);
  const element = ELEMENT_BYTES[storage.dtype];
  const data = zipEntryData(archive.bytes, entry as ZipEntry, archive.source);
  if (data.length !== storage.numel * element) {
    fail(
      `storage record '${recordName}' holds ${data.length} bytes, but its ${storage.numel} ${storage.dtype} elements need ${storage.numel * element}`,
      name,
    );
  }
  const count = size.reduce((a, b) => a * b, 1);
  let last = offset; // the highest element index the view reaches
  for (let d = 0; d < size.length; d++) last += (size[d] - 1) * stride[d];
  if (count > 0 && last >= storage.numel) {
    fail(
      `view (offset ${offset}, size [${size}], stride [${stride}]) reaches element ${last} of a ${storage.numel}-element storage`,
      name,
    );
  }
  const span = count === 0 ? 0 : last - offset + 1;
  const flat = decodeRun(data, offset, span, storage.dtype, (problem) => fail(problem, name));
  const shape = [...size];
  if (span === count && isRowMajor(size, stride))
    return { dtype: dtype as SafetensorsFloatDtype, shape, data: flat };

  // Gather a strided view into C order: an odometer over the indices, tracking the storage position.
  const out = new Float32Array(count);
  const index = new Array<number>(size.length).fill(0);
  let position = 0;
  for (let k = 0; k < count; k++) {
    out[k] = flat[position];
    for (let d = size.length - 1; d >= 0; d--) {
      index[d]++;
      position += stride[d];
      if (index[d] < size[d]) break;
      position -= stride[d] * size[d];
      index[d] = 0;
    }
  }
  return { dtype: dtype as SafetensorsFloatDtype, shape, data: out };
}

/** Whether strides are C order's (dimensions of size 1 may have any stride). */
function isRowMajor(size: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let d = size.length - 1; d >= 0; d--) {
    if (size[d] !== 1 && stride[d] !== expected) return false;
    expected *= size[d];
  }
  return true;
}

/** `count` little-endian elements from element `first` of a storage, as float32. */
function decodeRun(
  data: Uint8Array,
  first: number,
  count: number,
  dtype: TorchDtype,
  fail: (problem: string) => never,
): Float32Array {
  const view = dataView(data);
  const out = new Float32Array(count);
  switch (dtype) {
    case 'float32': {
      if (LITTLE_ENDIAN_HOST) {
        const start = data.byteOffset + 4 * first;
        return new Float32Array(data.buffer.slice(start, start + 4 * count));
      }
      for (let k = 0; k < count; k++) out[k] = view.getFloat32(4 * (first + k), true);
      return out;
    }
    case 'float64':
      for (let k = 0; k < count; k++) {
        const value = view.getFloat64(8 * (first + k), true);
        out[k] = value;
        if (Number.isFinite(value) && !Number.isFinite(out[k])) {
          fail(`float64 value ${value} at storage element ${first + k} is outside the float32 range`);
        }
      }
      return out;
    case 'float16': {
      const table = new Uint32Array(halfTable().buffer);
      const bits = new Uint32Array(out.buffer);
      for (let k = 0; k < count; k++) bits[k] = table[view.getUint16(2 * (first + k), true)];
      return out;
    }
    case 'bfloat16': {
      // bfloat16 is the upper half of a float32: shifting the bits back is exact.
      const bits = new Uint32Array(out.buffer);
      for (let k = 0; k < count; k++) bits[k] = view.getUint16(2 * (first + k), true) << 16;
      return out;
    }
    default:
      return fail(`dtype ${dtype} is not a floating-point type`);
  }
}

let halfValues: Float32Array | undefined;

/** Every IEEE binary16 value as float32 (all are exactly representable), indexed by its bits. */
function halfTable(): Float32Array {
  if (halfValues) return halfValues;
  const table = new Float32Array(65536);
  const bits = new Uint32Array(table.buffer);
  for (let h = 0; h < 65536; h++) {
    const negative = (h & 0x8000) !== 0;
    const exponent = (h >> 10) & 0x1f;
    const fraction = h & 0x3ff;
    if (exponent === 0x1f) bits[h] = (negative ? 0x80000000 : 0) | 0x7f800000 | (fraction << 13);
    else if (exponent === 0) table[h] = (negative ? -1 : 1) * fraction * 2 ** -24;
    else table[h] = (negative ? -1 : 1) * (1 + fraction / 1024) * 2 ** (exponent - 15);
  }
  halfValues = table;
  return table;
}
