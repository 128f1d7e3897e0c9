import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  ALLOWED_GLOBALS,
  crc32,
  decodeTensor,
  PickleDict,
  PickleTuple,
  readTorchArchive,
  readZipDirectory,
  TorchCheckpointError,
  TorchTensorRef,
  unpickle,
  zipEntryData,
  type PickleValue,
  type ZipEntry,
} from './torch-pickle';

/** Made by libs/engine/scripts/make-torch-fixtures.py with real PyTorch; see its header. */
const FIXTURES = join(__dirname, '..', '..', 'test', 'fixtures', 'torch');
const fixture = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, name)));
const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as {
  views: Record<string, { shape: number[]; values: number[] }>;
  dtypes: Record<string, { shape: number[]; values: number[] }>;
};

/** Pickle values as plain JSON-like data, for comparisons. */
function plain(value: PickleValue): unknown {
  if (value instanceof PickleTuple) return { tuple: value.items.map(plain) };
  if (value instanceof PickleDict)
    return Object.fromEntries([...value.items].map(([k, v]) => [String(k), plain(v)]));
  if (Array.isArray(value)) return value.map(plain);
  return value;
}

const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));
const pickleBytes = (...parts: (number | string | number[])[]) =>
  new Uint8Array(parts.flatMap((p) => (typeof p === 'number' ? [p] : typeof p === 'string' ? ascii(p) : p)));

interface ZipOptions {
  /** Write ZIP64 sizes and offsets (saturated 32-bit fields, extra fields, ZIP64 end records). */
  zip64?: boolean;
  /** Deflate the entries whose name this matches. */
  deflate?: RegExp;
}

/** A minimal zip writer for the tests: stored entries (or deflated ones, to be refused). */
function buildZip(entries: [string, Uint8Array][], options: ZipOptions = {}): Uint8Array {
  const chunks: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  const block = (size: number, fill: (v: DataView) => void) => {
    const b = new Uint8Array(size);
    fill(new DataView(b.buffer));
    return b;
  };
  const zip64 = options.zip64 === true;
  for (const [name, raw] of entries) {
    const deflate = options.deflate?.test(name) === true;
    const data = deflate ? new Uint8Array(deflateRawSync(raw)) : raw;
    const nameBytes = new TextEncoder().encode(name);
    const crc = crc32(raw);
    const localExtra = zip64 ? 20 : 0;
    const local = block(30 + nameBytes.length + localExtra, (v) => {
      v.setUint32(0, 0x04034b50, true);
      v.setUint16(4, zip64 ? 45 : 20, true);
      v.setUint16(6, 0x0800, true);
      v.setUint16(8, deflate ? 8 : 0, true);
      v.setUint32(14, crc, true);
      v.setUint32(18, zip64 ? 0xffffffff : data.length, true);
      v.setUint32(22, zip64 ? 0xffffffff : raw.length, true);
      v.setUint16(26, nameBytes.length, true);
      v.setUint16(28, localExtra, true);
      if (zip64) {
        const e = 30 + nameBytes.length;
        v.setUint16(e, 1, true);
        v.setUint16(e + 2, 16, true);
        v.setBigUint64(e + 4, BigInt(raw.length), true);
        v.setBigUint64(e + 12, BigInt(data.length), true);
      }
    });
    local.set(nameBytes, 30);
    const centralExtra = zip64 ? 28 : 0;
    const entry = block(46 + nameBytes.length + centralExtra, (v) => {
      v.setUint32(0, 0x02014b50, true);
      v.setUint16(4, 45, true);
      v.setUint16(6, zip64 ? 45 : 20, true);
      v.setUint16(8, 0x0800, true);
      v.setUint16(10, deflate ? 8 : 0, true);
      v.setUint32(16, crc, true);
      v.setUint32(20, zip64 ? 0xffffffff : data.length, true);
      v.setUint32(24, zip64 ? 0xffffffff : raw.length, true);
      v.setUint16(28, nameBytes.length, true);
      v.setUint16(30, centralExtra, true);
      v.setUint32(42, zip64 ? 0xffffffff : offset, true);
      if (zip64) {
        const e = 46 + nameBytes.length;
        v.setUint16(e, 1, true);
        v.setUint16(e + 2, 24, true);
        v.setBigUint64(e + 4, BigInt(raw.length), true);
        v.setBigUint64(e + 12, BigInt(data.length), true);
        v.setBigUint64(e + 20, BigInt(offset), true);
      }
    });
    entry.set(nameBytes, 46);
    chunks.push(local, data);
    central.push(entry);
    offset += local.length + data.length;
  }
  const directoryOffset = offset;
  const directorySize = central.reduce((n, c) => n + c.length, 0);
  const tail: Uint8Array[] = [];
  if (zip64) {
    tail.push(
      block(56, (v) => {
        v.setUint32(0, 0x06064b50, true);
        v.setBigUint64(4, 44n, true);
        v.setUint16(12, 45, true);
        v.setUint16(14, 45, true);
        v.setBigUint64(24, BigInt(entries.length), true);
        v.setBigUint64(32, BigInt(entries.length), true);
        v.setBigUint64(40, BigInt(directorySize), true);
        v.setBigUint64(48, BigInt(directoryOffset), true);
      }),
      block(20, (v) => {
        v.setUint32(0, 0x07064b50, true);
        v.setBigUint64(8, BigInt(directoryOffset + directorySize), true);
        v.setUint32(16, 1, true);
      }),
    );
  }
  tail.push(
    block(22, (v) => {
      v.setUint32(0, 0x06054b50, true);
      v.setUint16(8, zip64 ? 0xffff : entries.length, true);
      v.setUint16(10, zip64 ? 0xffff : entries.length, true);
      v.setUint32(12, zip64 ? 0xffffffff : directorySize, true);
      v.setUint32(16, zip64 ? 0xffffffff : directoryOffset, true);
    }),
  );
  const parts = [...chunks, ...central, ...tail];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The records of a committed torch.save fixture, in archive order. */
function records(bytes: Uint8Array): [string, Uint8Array][] {
  return [...readZipDirectory(bytes)].map(([name, entry]) => [name, zipEntryData(bytes, entry).slice()]);
}

function tensorsOf(bytes: Uint8Array, source: string) {
  const archive = readTorchArchive(bytes, source);
  const root = archive.root as PickleDict;
  return new Map(
    [...root.items].map(([name, ref]) => [
      name as string,
      decodeTensor(archive, ref as TorchTensorRef, name as string),
    ]),
  );
}

const DATA_OBJECT = {
  int: 7,
  negative: -300,
  int32: 2 ** 31 - 1,
  big: 2n ** 70n,
  negative_big: -(2 ** 40),
  float: 1.5,
  text: 'héllo ✓',
  tuple: { tuple: [1, 'two', 3] },
  empty_tuple: { tuple: [] },
  list: [1, [2, 3], null],
  true: true,
  false: false,
  none: null,
  ordered: { b: 1, a: 2 },
  int_keys: { '0': 'zero', '1': 'one' },
  shared: [
    [1, 2],
    [1, 2],
  ],
  long_text: 'x'.repeat(300),
};

describe('the restricted pickle interpreter', () => {
  it.each(['data-p2.pkl', 'data-p4.pkl'])('reads the plain data Python pickled (%s)', (name) => {
    const value = unpickle(fixture(name), name);
    expect(plain(value)).toEqual(DATA_OBJECT);
    // The memo keeps Python's sharing: both entries are the same list.
    const shared = (value as PickleDict).items.get('shared') as PickleValue[][];
    expect(shared[0]).toBe(shared[1]);
    // Dict keys keep their Python type.
    expect([...((value as PickleDict).items.get('int_keys') as PickleDict).items.keys()]).toEqual([0, 1]);
  });

  it('refuses a global outside the allow-list, naming it and its byte', () => {
    const evil = pickleBytes(0x80, 2, 'cbuiltins\neval\n', 'X', [4, 0, 0, 0], '1+1', 0x85, 'R.');
    expect(() => unpickle(evil, 'e.pkl')).toThrow(
      'e.pkl: refusing global builtins.eval at byte 2: only plain state dicts of tensors are read',
    );
    const stacked = pickleBytes(0x80, 4, 0x8c, 2, 'os', 0x8c, 6, 'system', 0x93, '.');
    expect(() => unpickle(stacked)).toThrow(/refusing global os\.system at byte 14/);
    const namespace = pickleBytes(0x80, 2, 'cargparse\nNamespace\n)R.');
    expect(() => unpickle(namespace)).toThrow(/refusing global argparse\.Namespace at byte 2/);
    expect(ALLOWED_GLOBALS).toContain('torch._utils._rebuild_tensor_v2');
    expect(ALLOWED_GLOBALS).not.toContain('builtins.getattr');
  });

  it('refuses object-building opcodes and unknown opcodes, naming the byte', () => {
    const newobj = pickleBytes(0x80, 2, 'ccollections\nOrderedDict\n)', 0x81, '.');
    expect(() => unpickle(newobj)).toThrow(/refusing pickle opcode NEWOBJ at byte 28/);
    expect(() => unpickle(pickleBytes(0x80, 2, 0xff, '.'))).toThrow(
      'unsupported pickle opcode 0xff at byte 2',
    );
    expect(() => unpickle(pickleBytes(0x80, 2, 'S', "'a'\n."))).toThrow(
      "unsupported pickle opcode 0x53 ('S') at byte 2",
    );
  });

  it('refuses calling a storage class, and BUILD on anything but a dict', () => {
    expect(() => unpickle(pickleBytes(0x80, 2, 'ctorch\nFloatStorage\n)R.'))).toThrow(
      /torch\.FloatStorage at byte 23 is a type, not something a pickle may call/,
    );
    expect(() => unpickle(pickleBytes(0x80, 2, ']}b.'))).toThrow(/BUILD at byte 4 sets state on a list/);
  });

  it('gives clear errors for truncated and malformed pickles', () => {
    expect(() => unpickle(pickleBytes(0x80, 2, '}'))).toThrow(
      'pickle is truncated: no STOP opcode before byte 3',
    );
    expect(() => unpickle(pickleBytes(0x80, 2, 'X', [9, 0, 0, 0], 'ab'))).toThrow(
      'pickle is truncated: opcode at byte 2 needs 9 more bytes',
    );
    expect(() => unpickle(pickleBytes(0x80, 2, 'h', 3, '.'))).toThrow(
      'memo entry 3 read at byte 2 was never stored',
    );
    expect(() => unpickle(pickleBytes(0x80, 2, 's.'))).toThrow('pickle stack underflow at byte 2');
    expect(() => unpickle(pickleBytes(0x80, 2, '(K', 1, '.'))).toThrow(
      'pickle ends at byte 5 with a MARK still open',
    );
    expect(() => unpickle(pickleBytes(0x80, 2, 'K', 1, 'Q.'))).toThrow(/persistent id at byte 4/);
  });

  it('reads LONG1 integers of any sign and BINFLOAT doubles', () => {
    // LONG1 -1 (one byte 0xff), LONG1 255 (two bytes ff 00), BINFLOAT -0.25 (big-endian)
    const bytes = pickleBytes(
      0x80,
      2,
      '(',
      0x8a,
      1,
      0xff,
      0x8a,
      2,
      0xff,
      0,
      'G',
      [0xbf, 0xd0, 0, 0, 0, 0, 0, 0],
      't.',
    );
    expect(plain(unpickle(bytes))).toEqual({ tuple: [-1, 255, -0.25] });
  });
});

describe('the torch.save zip archive', () => {
  it('finds the records under the file-stem prefix, uncompressed, with their CRCs', () => {
    const bytes = fixture('vit-tiny.pt');
    const directory = readZipDirectory(bytes, 'vit-tiny.pt');
    expect([...directory.keys()]).toEqual(
      expect.arrayContaining([
        'vit-tiny/data.pkl',
        'vit-tiny/byteorder',
        'vit-tiny/version',
        'vit-tiny/data/0',
      ]),
    );
    const archive = readTorchArchive(bytes, 'vit-tiny.pt');
    expect(archive.prefix).toBe('vit-tiny');
    expect(archive.version).toMatch(/^\d+$/);
    // A state dict pickles as an OrderedDict whose BUILD state is {'_metadata': ...}.
    const root = archive.root as PickleDict;
    expect(root.items.get('pos_embed')).toBeInstanceOf(TorchTensorRef);
    expect(plain((root.state as PickleDict).items.get('_metadata') as PickleValue)).toEqual({
      '': { version: 1 },
      'blocks.0': { version: 1 },
    });
  });

  it('honours storage offsets, strides (transposed, sliced, zero) and shared storages', () => {
    const tensors = tensorsOf(fixture('views.pt'), 'views.pt');
    expect([...tensors.keys()].sort()).toEqual(Object.keys(expected.views).sort());
    for (const [name, { shape, values }] of Object.entries(expected.views)) {
      const t = tensors.get(name);
      expect(t?.shape, name).toEqual(shape);
      expect(Array.from(t?.data ?? []), name).toEqual(values);
    }
  });

  it('refuses a view that reaches outside its storage, naming the tensor', () => {
    const archive = readTorchArchive(fixture('views.pt'), 'views.pt');
    const base = (archive.root as PickleDict).items.get('shared_base') as TorchTensorRef;
    const outside = new TorchTensorRef(base.storage, 2, [2, 3], [3, 1]);
    expect(() => decodeTensor(archive, outside, 'w')).toThrow(
      "views.pt: tensor 'w': view (offset 2, size [2,3], stride [3,1]) reaches element 7 of a 6-element storage",
    );
  });

  it('converts float16, bfloat16 and float64 to float32 as PyTorch does', () => {
    const tensors = tensorsOf(fixture('dtypes.pt'), 'dtypes.pt');
    const dtypes: Record<string, string> = { f32: 'F32', f16: 'F16', bf16: 'BF16', f64: 'F64' };
    for (const [name, { shape, values }] of Object.entries(expected.dtypes)) {
      const t = tensors.get(name);
      expect(t?.dtype).toBe(dtypes[name]);
      expect(t?.shape, name).toEqual(shape);
      expect(Array.from(t?.data ?? []), name).toEqual(values);
    }
    // -0 survives the conversion.
    expect(Object.is(tensors.get('f16')?.data[5], -0)).toBe(true);
  });

  it('reads the same archive written with ZIP64 sizes and offsets', () => {
    const bytes = fixture('vit-tiny.pt');
    const zip64 = buildZip(records(bytes), { zip64: true });
    const entry = readZipDirectory(zip64).get('vit-tiny/data/0');
    expect(entry?.size).toBe(readZipDirectory(bytes).get('vit-tiny/data/0')?.size);
    expect(tensorsOf(zip64, 'zip64')).toEqual(tensorsOf(bytes, 'plain'));
  });

  it('refuses a compressed entry with a clear error', () => {
    const deflated = buildZip(records(fixture('vit-tiny.pt')), { deflate: /data\/3$/ });
    expect(() => tensorsOf(deflated, 'z.pt')).toThrow(
      "z.pt: zip entry 'vit-tiny/data/3' is compressed (method 8, deflate); torch.save stores records uncompressed",
    );
  });

  it('says a truncated file is truncated', () => {
    const bytes = fixture('vit-tiny.pt');
    expect(() => readTorchArchive(bytes.subarray(0, bytes.length - 30), 'cut.pt')).toThrow(
      /^cut\.pt: no zip end-of-central-directory record: the file is truncated or not a zip archive/,
    );
    // A directory whose entry reaches past the end of the bytes (records cut, directory kept).
    const entry = readZipDirectory(bytes).get('vit-tiny/data/2') as ZipEntry;
    const long: ZipEntry = { ...entry, size: bytes.length, compressedSize: bytes.length };
    expect(() => zipEntryData(bytes, long, 'cut.pt')).toThrow(
      /^cut\.pt: zip entry 'vit-tiny\/data\/2' \[\d+, \d+\) runs past the end of the \d+-byte file: it is truncated$/,
    );
    // A ZIP64 end record whose central directory runs past the end of the file.
    const zip64 = buildZip(records(bytes), { zip64: true });
    const record = zip64.length - 22 - 20 - 56;
    new DataView(zip64.buffer).setBigUint64(record + 40, BigInt(zip64.length), true);
    expect(() => readZipDirectory(zip64, 'cut.pt')).toThrow(
      /^cut\.pt: the central directory \[\d+, \d+\) runs past the end of the \d+-byte file: it is truncated$/,
    );
  });

  it('detects a corrupt record by its CRC-32', () => {
    const bytes = fixture('vit-tiny.pt').slice();
    const entry = readZipDirectory(bytes).get('vit-tiny/data/0');
    const data = zipEntryData(bytes, entry as NonNullable<typeof entry>);
    bytes[data.byteOffset + 1] ^= 0x40;
    expect(() => tensorsOf(bytes, 'bad.pt')).toThrow(
      /bad\.pt: zip entry 'vit-tiny\/data\/0' is corrupt: CRC-32/,
    );
  });

  it('names the tensor whose storage record is missing', () => {
    const without = buildZip(records(fixture('vit-tiny.pt')).filter(([name]) => name !== 'vit-tiny/data/2'));
    expect(() => tensorsOf(without, 'm.pt')).toThrow(
      "m.pt: tensor 'patch_embed.proj.weight': storage record 'vit-tiny/data/2' is missing from the archive",
    );
  });

  it('refuses big-endian archives', () => {
    const big = buildZip(
      records(fixture('vit-tiny.pt')).map(([name, data]) =>
        name.endsWith('/byteorder') ? [name, new TextEncoder().encode('big')] : [name, data],
      ),
    );
    expect(() => readTorchArchive(big, 'be.pt')).toThrow('be.pt: big-endian checkpoint (byteorder big)');
  });

  it('refuses the malicious fixture at its global, before anything could run', () => {
    expect(() => readTorchArchive(fixture('malicious.pt'), 'malicious.pt')).toThrow(
      /^malicious\.pt \(malicious\/data\.pkl\): refusing global posix\.system at byte \d+: only plain state dicts of tensors are read$/,
    );
    try {
      readTorchArchive(fixture('malicious.pt'), 'malicious.pt');
    } catch (error) {
      expect(error).toBeInstanceOf(TorchCheckpointError);
    }
  });

  it('refuses the legacy format, bare pickles and other files with what they are', () => {
    expect(() => readTorchArchive(fixture('legacy.pt'), 'legacy.pt')).toThrow(
      'legacy.pt: legacy (pre-1.6) torch.save format: re-save with a current PyTorch',
    );
    expect(() => readTorchArchive(fixture('data-p2.pkl'), 'p.pkl')).toThrow(
      'p.pkl: a bare pickle, not a torch.save zip archive',
    );
    expect(() => readTorchArchive(fixture('vit-tiny.safetensors'), 'w.safetensors')).toThrow(
      'w.safetensors: not a torch.save file: it does not start with a zip header',
    );
    const plainZip = buildZip([['notes/readme.txt', new TextEncoder().encode('hi')]]);
    expect(() => readTorchArchive(plainZip, 'n.zip')).toThrow(
      'n.zip: no <prefix>/data.pkl record: not a torch.save archive (records: notes/readme.txt)',
    );
  });

  it('computes the CRC-32 zip uses', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});
