import { createHash } from 'node:crypto';
import { link, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  MAX_HEADER_BYTES,
  readSafetensors,
  readSafetensorsFile,
  SafetensorsError,
  writeSafetensors,
  writeSafetensorsFile,
  type TensorToWrite,
} from './safetensors';

const fromHex = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));
const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const hex16 = (pattern: number) => `0x${pattern.toString(16).toUpperCase().padStart(4, '0')}`;
const bitsOf = (data: Float32Array) => Array.from(new Uint32Array(data.buffer, data.byteOffset, data.length));

/**
 * Independent golden file, produced with Python's struct and json (not with this module):
 *   tensors = {'weight': ([2, 3], [1.0, 2.0, 3.0, -4.0, 0.1, 0.001]), 'bias': ([2], [0.5, -1.25]), 'scale': ([], [2.0])}
 *   header = {'__metadata__': {'format': 'pt'}}; buf = b''
 *   for name in sorted(tensors):
 *       data = struct.pack('<%df' % len(vals), *vals)
 *       header[name] = {'dtype': 'F32', 'shape': shape, 'data_offsets': [len(buf), len(buf) + len(data)]}; buf += data
 *   h = json.dumps(header, separators=(',', ':')).encode(); h += b' ' * ((8 - len(h) % 8) % 8)
 *   struct.pack('<Q', len(h)) + h + buf        → 252 bytes, header 208 bytes (207 of JSON + 1 space)
 */
const GOLDEN_HEX =
  'd0000000000000007b225f5f6d657461646174615f5f223a7b22666f726d6174223a227074227d2c2262696173223a7b2264747970' +
  '65223a22463332222c227368617065223a5b325d2c22646174615f6f666673657473223a5b302c385d7d2c227363616c65223a7b' +
  '226474797065223a22463332222c227368617065223a5b5d2c22646174615f6f666673657473223a5b382c31325d7d2c227765' +
  '69676874223a7b226474797065223a22463332222c227368617065223a5b322c335d2c22646174615f6f666673657473223a5b' +
  '31322c33365d7d7d200000003f0000a0bf000000400000803f0000004000004040000080c0cdcccc3d6f12833a';

const GOLDEN_TENSORS: Record<string, TensorToWrite> = {
  weight: { shape: [2, 3], data: Float32Array.from([1, 2, 3, -4, 0.1, 0.001]) },
  bias: { shape: [2], data: Float32Array.from([0.5, -1.25]) },
  scale: { shape: [], data: Float32Array.from([2]) },
};

/**
 * Same recipe with a non-ASCII name and json.dumps(..., ensure_ascii=False): the header length counts UTF-8
 * bytes (57 of JSON for 55 characters, padded to 64), not characters. Tensor 'ß.γ' = [7.0].
 */
const GOLDEN_UTF8_HEX =
  '40000000000000007b22c39f2eceb3223a7b226474797065223a22463332222c227368617065223a5b315d2c22646174615f6f66' +
  '6673657473223a5b302c345d7d7d2020202020200000e040';

/**
 * Mixed-dtype golden file from numpy + struct + json (same layout rules, offsets written by hand):
 *   b BF16 [2]   = uint16 [0x3F80, 0xC040]            → 1.0, -3.0
 *   d F64  [2,1] = float64 [1/3, -1e-50]               → float32 0.3333333432674408, -0.0 (underflow)
 *   h F16  [3]   = uint16 [0x3C00, 0xC000, 0x0001]     → 1.0, -2.0, 2^-24 = 5.960464477539063e-08
 *   metadata {'format': 'pt', 'source': 'numpy'}; data_offsets b [0,4], d [4,20] (unaligned F64), h [20,26]
 */
const MIXED_HEX =
  'd8000000000000007b225f5f6d657461646174615f5f223a7b22666f726d6174223a227074222c22736f75726365223a226e75' +
  '6d7079227d2c2262223a7b226474797065223a2242463136222c227368617065223a5b325d2c22646174615f6f666673657473' +
  '223a5b302c345d7d2c2264223a7b226474797065223a22463634222c227368617065223a5b322c315d2c22646174615f6f6666' +
  '73657473223a5b342c32305d7d2c2268223a7b226474797065223a22463136222c227368617065223a5b335d2c22646174615f' +
  '6f666673657473223a5b32302c32365d7d7d2020803f40c0555555555555d53f1fb8d44a7aee8db5003c00c00100';

/** Builds a file around an arbitrary (possibly invalid) header, for the corrupt cases. */
function fileWithHeader(
  header: unknown,
  data: Uint8Array = new Uint8Array(0),
  headerText?: string,
): Uint8Array {
  const json = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function withHeaderLength(bytes: Uint8Array, length: bigint): Uint8Array {
  const copy = bytes.slice();
  new DataView(copy.buffer).setBigUint64(0, length, true);
  return copy;
}

function u16File(dtype: 'F16' | 'BF16', patterns: readonly number[]): Uint8Array {
  const data = new Uint8Array(patterns.length * 2);
  const view = new DataView(data.buffer);
  patterns.forEach((p, k) => view.setUint16(2 * k, p, true));
  return fileWithHeader({ x: { dtype, shape: [patterns.length], data_offsets: [0, data.length] } }, data);
}

describe('writeSafetensors', () => {
  it('produces the golden bytes computed with Python struct/json', () => {
    expect(toHex(writeSafetensors(GOLDEN_TENSORS, { format: 'pt' }))).toBe(GOLDEN_HEX);
  });

  it('produces the same bytes from a Map in any insertion order', () => {
    const map = new Map(Object.entries(GOLDEN_TENSORS).reverse());
    expect(toHex(writeSafetensors(map, { format: 'pt' }))).toBe(GOLDEN_HEX);
  });

  it('counts UTF-8 bytes, not characters, in the header length', () => {
    expect(toHex(writeSafetensors({ 'ß.γ': { shape: [1], data: Float32Array.from([7]) } }))).toBe(
      GOLDEN_UTF8_HEX,
    );
  });

  it('pads the header to a multiple of 8 with spaces and omits empty metadata', () => {
    const bytes = writeSafetensors(new Map(), {});
    // '{}' is 2 bytes → padded to 8: length prefix 8, then '{}' and six spaces.
    expect(toHex(bytes)).toBe('0800000000000000' + '7b7d' + '20'.repeat(6));
  });

  it('sorts names by code point like the reference implementation, not by UTF-16 unit', () => {
    // U+FF21 (one UTF-16 unit 0xFF21) sorts after U+1F600 (surrogates 0xD83D…) by code unit, before it by code point.
    const bytes = writeSafetensors({
      '\u{1F600}': { shape: [1], data: Float32Array.from([1]) },
      '\uFF21': { shape: [1], data: Float32Array.from([2]) },
    });
    const { tensors } = readSafetensors(bytes);
    expect([...tensors.keys()]).toEqual(['\uFF21', '\u{1F600}']);
    expect(tensors.get('\uFF21')?.data[0]).toBe(2);
  });

  const invalid: [string, () => unknown, RegExp][] = [
    [
      'data shorter than the shape',
      () => writeSafetensors({ w: { shape: [2, 3], data: new Float32Array(5) } }),
      /<writer>: tensor 'w': shape \[2, 3\] needs 24 bytes of F32 but data holds 20/,
    ],
    [
      'a negative dimension',
      () => writeSafetensors({ w: { shape: [2, -1], data: new Float32Array(0) } }),
      /tensor 'w': shape\[1\] must be an integer ≥ 0, got -1/,
    ],
    [
      'a fractional dimension',
      () => writeSafetensors({ w: { shape: [1.5], data: new Float32Array(1) } }),
      /tensor 'w': shape\[0\] must be an integer ≥ 0, got 1\.5/,
    ],
    [
      'float64 data',
      () => writeSafetensors({ w: { shape: [1], data: new Float64Array(1) as unknown as Float32Array } }),
      /tensor 'w': data must be a Float32Array/,
    ],
    [
      'the reserved metadata name',
      () => writeSafetensors({ __metadata__: { shape: [1], data: new Float32Array(1) } }),
      /tensor '__metadata__': '__metadata__' is reserved/,
    ],
    [
      'a non-string metadata value',
      () => writeSafetensors({}, { epoch: 3 as unknown as string }),
      /<writer>: metadata\['epoch'\] must be a string, got number/,
    ],
  ];
  it.each(invalid)('rejects %s', (_, call, message) => {
    expect(call).toThrow(SafetensorsError);
    expect(call).toThrow(message);
  });
});

describe('readSafetensors', () => {
  it('reads the golden file', () => {
    const { metadata, tensors } = readSafetensors(fromHex(GOLDEN_HEX));
    expect(metadata).toEqual({ format: 'pt' });
    expect([...tensors.keys()]).toEqual(['bias', 'scale', 'weight']);
    expect(tensors.get('bias')).toEqual({ dtype: 'F32', shape: [2], data: Float32Array.from([0.5, -1.25]) });
    expect(tensors.get('scale')).toEqual({ dtype: 'F32', shape: [], data: Float32Array.from([2]) });
    const weight = tensors.get('weight');
    expect(weight?.shape).toEqual([2, 3]);
    // numpy: np.float32(0.1) → 0.10000000149011612, np.float32(0.001) → 0.0010000000474974513
    expect(Array.from(weight?.data ?? [])).toEqual([1, 2, 3, -4, 0.10000000149011612, 0.0010000000474974513]);
  });

  it('reads the UTF-8 golden file', () => {
    const { tensors } = readSafetensors(fromHex(GOLDEN_UTF8_HEX));
    expect(tensors.get('ß.γ')?.data).toEqual(Float32Array.from([7]));
  });

  it('reads from a view at an unaligned offset into a larger buffer without aliasing it', () => {
    const golden = fromHex(GOLDEN_HEX);
    const big = new Uint8Array(golden.length + 7);
    big.set(golden, 3);
    const { tensors } = readSafetensors(big.subarray(3, 3 + golden.length));
    const bias = tensors.get('bias')?.data as Float32Array;
    expect(Array.from(bias)).toEqual([0.5, -1.25]);
    big.fill(0);
    expect(Array.from(bias)).toEqual([0.5, -1.25]);
  });

  it('converts the BF16, F64 and F16 tensors of the numpy golden file', () => {
    const { metadata, tensors } = readSafetensors(fromHex(MIXED_HEX));
    expect(metadata).toEqual({ format: 'pt', source: 'numpy' });
    expect(tensors.get('b')).toEqual({ dtype: 'BF16', shape: [2], data: Float32Array.from([1, -3]) });
    const d = tensors.get('d');
    expect(d?.dtype).toBe('F64');
    expect(d?.shape).toEqual([2, 1]);
    expect(d?.data[0]).toBe(0.3333333432674408);
    expect(Object.is(d?.data[1], -0)).toBe(true);
    expect(tensors.get('h')).toEqual({
      dtype: 'F16',
      shape: [3],
      data: Float32Array.from([1, -2, 2 ** -24]),
    });
  });

  it('accepts a file with no tensors and zero-sized tensors', () => {
    expect(readSafetensors(fileWithHeader({})).tensors.size).toBe(0);
    const { tensors } = readSafetensors(
      fileWithHeader(
        {
          empty: { dtype: 'F32', shape: [2, 0], data_offsets: [0, 0] },
          one: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
        },
        new Uint8Array(4),
      ),
    );
    expect(tensors.get('empty')?.data).toHaveLength(0);
    expect(tensors.get('one')?.data).toEqual(new Float32Array(1));
  });
});

describe('F16 and BF16 decoding', () => {
  // Expected values from numpy: np.array(patterns, dtype=np.uint16).view(np.float16).astype(np.float32)
  const f16: [number, number][] = [
    [0x3c00, 1],
    [0xc000, -2],
    [0x7bff, 65504], // largest finite half
    [0x0001, 2 ** -24], // smallest subnormal, 5.960464477539063e-08
    [0x8001, -(2 ** -24)],
    [0x03ff, 1023 * 2 ** -24], // largest subnormal, 6.097555160522461e-05
    [0x0400, 2 ** -14], // smallest normal, 6.103515625e-05
    [0x3555, 0.333251953125],
    [0x0000, 0],
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
  ];
  it.each(f16.map(([p, v]) => [hex16(p), p, v] as const))('F16 %s decodes exactly', (_, pattern, value) => {
    expect(readSafetensors(u16File('F16', [pattern])).tensors.get('x')?.data[0]).toBe(value);
  });

  it('keeps the sign of F16 -0 and decodes F16 NaNs as NaN', () => {
    const data = readSafetensors(u16File('F16', [0x8000, 0x7e00, 0x7c01, 0xfe00])).tensors.get('x')?.data;
    expect(Object.is(data?.[0], -0)).toBe(true);
    expect(
      Array.from(data ?? [])
        .slice(1)
        .every(Number.isNaN),
    ).toBe(true);
  });

  it('decodes all 65536 F16 patterns as numpy does', () => {
    const patterns = Array.from({ length: 65536 }, (_, k) => k);
    const data = readSafetensors(u16File('F16', patterns)).tensors.get('x')?.data as Float32Array;
    const isNaNPattern = (h: number) => (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
    const finite = Float32Array.from(patterns.filter((h) => !isNaNPattern(h)).map((h) => data[h]));
    expect(patterns.filter((h) => isNaNPattern(h)).every((h) => Number.isNaN(data[h]))).toBe(true);
    // numpy: h = np.arange(65536, dtype=np.uint32).astype(np.uint16); keep = h[~np.isnan(h.view(np.float16))]
    //        hashlib.sha256(keep.view(np.float16).astype(np.float32).astype('<f4').tobytes()).hexdigest()
    expect(finite.length).toBe(63490);
    expect(createHash('sha256').update(new Uint8Array(finite.buffer)).digest('hex')).toBe(
      '680bbc22915f61aa1bbfc7265bc3882a6aa42d299bfd2c571807196e5544de2e',
    );
  });

  // Expected values from numpy: (np.array(patterns, dtype=np.uint32) << 16).view(np.float32)
  const bf16: [number, number][] = [
    [0x3f80, 1],
    [0xc000, -2],
    [0x7f7f, 3.3895313892515355e38], // largest finite bfloat16
    [0x0001, 9.183549615799121e-41], // a float32 subnormal
    [0x3eab, 0.333984375],
    [0x7f80, Infinity],
    [0xff80, -Infinity],
  ];
  it.each(bf16.map(([p, v]) => [hex16(p), p, v] as const))('BF16 %s decodes exactly', (_, pattern, value) => {
    expect(readSafetensors(u16File('BF16', [pattern])).tensors.get('x')?.data[0]).toBe(value);
  });

  it('decodes all 65536 BF16 patterns bit-exactly, NaN payloads included', () => {
    const patterns = Array.from({ length: 65536 }, (_, k) => k);
    const data = readSafetensors(u16File('BF16', patterns)).tensors.get('x')?.data as Float32Array;
    // numpy: hashlib.sha256((np.arange(65536, dtype=np.uint32) << 16).astype('<u4').tobytes()).hexdigest()
    expect(createHash('sha256').update(new Uint8Array(data.buffer)).digest('hex')).toBe(
      '9207d7eb28680a098c73dbe536d1ff7b94311dc417b9a385e0af6660683e93ca',
    );
  });
});

describe('round trip', () => {
  it('preserves names, shapes, metadata and every bit of the data', () => {
    const n = 3 * 5 * 7;
    // Deterministic, irregular values (no Math.random), plus values that a lossy path would change.
    const big = Float32Array.from({ length: n }, (_, k) => Math.sin(k * 12.9898) * 43758.5453);
    const special = Float32Array.from([-0, Infinity, -Infinity, 1e-45, 3.4028234663852886e38, Number.NaN]);
    new Uint32Array(special.buffer)[5] = 0x7fc01234; // a NaN with a payload
    const tensors = new Map<string, TensorToWrite>([
      ['blocks.0.attn.qkv.weight', { shape: [3, 5, 7], data: big }],
      ['special', { shape: [6], data: special }],
      ['cls_token', { shape: [1, 1, 2], data: Float32Array.from([0.25, -0.75]) }],
    ]);
    const metadata = { format: 'pt', arch: JSON.stringify({ depth: 12 }), note: 'ünïcödé' };
    const back = readSafetensors(writeSafetensors(tensors, metadata));
    expect(back.metadata).toEqual(metadata);
    expect([...back.tensors.keys()]).toEqual(['blocks.0.attn.qkv.weight', 'cls_token', 'special']);
    for (const [name, tensor] of tensors) {
      const read = back.tensors.get(name);
      expect(read?.dtype).toBe('F32');
      expect(read?.shape).toEqual(tensor.shape);
      expect(bitsOf(read?.data as Float32Array)).toEqual(bitsOf(tensor.data));
    }
  });

  it('writes a subarray view of a larger Float32Array correctly', () => {
    const backing = Float32Array.from([9, 1, 2, 3, 9]);
    const bytes = writeSafetensors({ v: { shape: [3], data: backing.subarray(1, 4) } });
    expect(Array.from(readSafetensors(bytes).tensors.get('v')?.data ?? [])).toEqual([1, 2, 3]);
  });
});

describe('corrupt files', () => {
  const source = 'model.safetensors';
  const golden = fromHex(GOLDEN_HEX);
  const f32 = (shape: number[], data_offsets: unknown) => ({ dtype: 'F32', shape, data_offsets });

  const cases: [string, Uint8Array, RegExp, string?][] = [
    [
      'an empty file',
      new Uint8Array(0),
      /file is 0 bytes long, shorter than the 8-byte header length prefix/,
    ],
    ['a 7-byte file', golden.slice(0, 7), /file is 7 bytes long/],
    [
      'a header length past the end of the file',
      withHeaderLength(golden, 4096n),
      /header length 4096 bytes runs past the end of the file \(244 bytes follow the length prefix\)/,
    ],
    ['a truncated file', golden.slice(0, 100), /header length 208 bytes runs past the end of the file/],
    [
      'an absurd header length',
      withHeaderLength(golden, 2n ** 63n),
      /header length 9223372036854775808 bytes exceeds the 100000000-byte limit/,
    ],
    [
      'a header length just over the limit',
      withHeaderLength(golden, BigInt(MAX_HEADER_BYTES + 1)),
      /header length 100000001 bytes exceeds the 100000000-byte limit/,
    ],
    ['invalid JSON', fileWithHeader(null, undefined, '{"w": {"dtype": "F32",'), /header is not valid JSON/],
    [
      'invalid UTF-8',
      fileWithHeader(null, undefined, '{"\u00ff"}').map((b) => (b === 0xc3 ? 0xff : b)),
      /not valid UTF-8/,
    ],
    ['a JSON array header', fileWithHeader([1, 2]), /header must be a JSON object/],
    [
      'non-string metadata',
      fileWithHeader({ __metadata__: { epochs: 20 } }),
      /__metadata__\['epochs'\] must be a string, got 20/,
    ],
    [
      'a non-object entry',
      fileWithHeader({ w: 3 }),
      /must be an object with dtype, shape and data_offsets/,
      'w',
    ],
    [
      'an unknown dtype',
      fileWithHeader({ w: { dtype: 'F31', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)),
      /tensor 'w': unknown dtype "F31"; expected one of F64, F32, F16, BF16/,
      'w',
    ],
    [
      'a negative dimension',
      fileWithHeader({ w: f32([2, -2], [0, 16]) }, new Uint8Array(16)),
      /tensor 'w': shape\[1\] must be an integer ≥ 0, got -2/,
      'w',
    ],
    [
      'a non-integer dimension',
      fileWithHeader({ w: f32([1.5], [0, 4]) }, new Uint8Array(4)),
      /tensor 'w': shape\[0\] must be an integer ≥ 0, got 1\.5/,
      'w',
    ],
    [
      'a string dimension',
      fileWithHeader({ w: { dtype: 'F32', shape: ['2'], data_offsets: [0, 8] } }, new Uint8Array(8)),
      /tensor 'w': shape\[0\] must be an integer ≥ 0, got "2"/,
      'w',
    ],
    [
      'one data offset',
      fileWithHeader({ w: f32([1], [4]) }, new Uint8Array(4)),
      /tensor 'w': data_offsets must be two integers \[begin, end\] ≥ 0, got \[4\]/,
      'w',
    ],
    [
      'a negative data offset',
      fileWithHeader({ w: f32([1], [-4, 0]) }, new Uint8Array(4)),
      /tensor 'w': data_offsets must be two integers/,
      'w',
    ],
    [
      'offsets that end before they begin',
      fileWithHeader({ w: f32([1], [8, 4]) }, new Uint8Array(8)),
      /tensor 'w': data_offsets \[8, 4\] end before they begin/,
      'w',
    ],
    [
      'offsets beyond the data',
      fileWithHeader({ w: f32([3], [0, 12]) }, new Uint8Array(8)),
      /tensor 'w': data_offsets \[0, 12\] reach beyond the 8-byte data buffer/,
      'w',
    ],
    [
      'offsets that do not match shape × dtype',
      fileWithHeader({ w: f32([3], [0, 8]) }, new Uint8Array(8)),
      /tensor 'w': shape \[3\] of F32 needs 12 bytes, but data_offsets \[0, 8\] hold 8/,
      'w',
    ],
    [
      'overlapping tensors',
      fileWithHeader({ a: f32([2], [0, 8]), b: f32([2], [4, 12]) }, new Uint8Array(12)),
      /tensor 'b': data_offsets \[4, 12\] overlap tensor 'a' \[0, 8\]/,
      'b',
    ],
    [
      'a gap between tensors',
      fileWithHeader({ a: f32([1], [0, 4]), b: f32([1], [8, 12]) }, new Uint8Array(12)),
      /bytes \[4, 8\) of the data buffer are not covered by any tensor/,
    ],
    [
      'trailing bytes',
      (() => {
        const padded = new Uint8Array(golden.length + 4);
        padded.set(golden);
        return padded;
      })(),
      /4 trailing bytes \[36, 40\) are not covered by any tensor/,
    ],
    [
      'an integer tensor',
      fileWithHeader({ n: { dtype: 'I64', shape: [], data_offsets: [0, 8] } }, new Uint8Array(8)),
      /tensor 'n': dtype I64 is not supported for weights; only F64, F32, F16 and BF16/,
      'n',
    ],
    [
      'an F64 value outside the float32 range',
      fileWithHeader(
        { d: { dtype: 'F64', shape: [1], data_offsets: [0, 8] } },
        new Uint8Array(new Float64Array([1e300]).buffer),
      ),
      /tensor 'd': F64 value 1e\+300 at index 0 is outside the float32 range/,
      'd',
    ],
  ];
  it.each(cases)('rejects %s', (_, bytes, message, tensor) => {
    let error: unknown;
    try {
      readSafetensors(bytes, source);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SafetensorsError);
    const { message: text, source: errorSource, tensor: errorTensor } = error as SafetensorsError;
    expect(text).toMatch(message);
    expect(text.startsWith(`${source}: `)).toBe(true);
    expect(errorSource).toBe(source);
    expect(errorTensor).toBe(tensor);
  });

  it("names '<buffer>' when no source is given", () => {
    expect(() => readSafetensors(new Uint8Array(3))).toThrow(/^<buffer>: file is 3 bytes long/);
  });
});

describe('safetensors files', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'safetensors-spec-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('writes the golden bytes and reads them back, leaving no temporary file', async () => {
    const path = join(directory, 'model.safetensors');
    await writeSafetensorsFile(path, GOLDEN_TENSORS, { format: 'pt' });
    expect(await readdir(directory)).toEqual(['model.safetensors']);
    const { metadata, tensors } = await readSafetensorsFile(path);
    expect(metadata).toEqual({ format: 'pt' });
    expect(tensors.get('bias')?.data).toEqual(Float32Array.from([0.5, -1.25]));
    expect(toHex(await readFile(path))).toBe(GOLDEN_HEX);
  });

  it('replaces the file by renaming a new one over it, never rewriting it in place', async () => {
    const path = join(directory, 'ckpt.safetensors');
    const other = join(directory, 'hardlink.safetensors');
    await writeSafetensorsFile(path, { w: { shape: [1], data: Float32Array.from([1]) } });
    // A hard link shares the old file's inode: an in-place write would change it too, a rename does not.
    await link(path, other);
    await writeSafetensorsFile(path, { w: { shape: [2], data: Float32Array.from([2, 3]) } });
    expect(Array.from((await readSafetensorsFile(path)).tensors.get('w')?.data ?? [])).toEqual([2, 3]);
    expect(Array.from((await readSafetensorsFile(other)).tensors.get('w')?.data ?? [])).toEqual([1]);
    expect((await readdir(directory)).sort()).toEqual(['ckpt.safetensors', 'hardlink.safetensors']);
  });

  it('removes its temporary file when the final rename fails', async () => {
    const path = join(directory, 'taken');
    await mkdir(path);
    await expect(writeSafetensorsFile(path, GOLDEN_TENSORS)).rejects.toThrow(/EISDIR|EEXIST|ENOTEMPTY|EPERM/);
    expect(await readdir(directory)).toEqual(['taken']);
  });

  it('creates nothing for tensors it cannot write', async () => {
    const path = join(directory, 'bad.safetensors');
    await expect(
      writeSafetensorsFile(path, { w: { shape: [4], data: new Float32Array(3) } }),
    ).rejects.toThrow(SafetensorsError);
    expect(await readdir(directory)).toEqual([]);
  });

  it('names the file in read errors', async () => {
    const path = join(directory, 'corrupt.safetensors');
    await writeFile(path, fromHex(GOLDEN_HEX).slice(0, 100));
    await expect(readSafetensorsFile(path)).rejects.toThrow(
      `${path}: header length 208 bytes runs past the end`,
    );
  });
});
