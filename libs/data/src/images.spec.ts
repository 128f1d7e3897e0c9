import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveDatasetFile } from './dataset-files';
import { decodeImages, IMAGENET_MEAN, IMAGENET_STD, ImageDecodeError, normalizeInPlace } from './images';

let dir: string;
const f32 = (values: number[]): number[] => Array.from(Float32Array.from(values));

async function writePng(
  name: string,
  width: number,
  height: number,
  channels: 3 | 4,
  pixels: number[],
): Promise<string> {
  const path = join(dir, name);
  await sharp(Buffer.from(pixels), { raw: { width, height, channels } }).png().toFile(path);
  return path;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'slca-images-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('decodeImages', () => {
  it('decodes a 2×2 RGBA PNG at its own size, flattening alpha onto white', async () => {
    // prettier-ignore
    const path = await writePng('rgba.png', 2, 2, 4, [
      200, 100, 0, 128,   10, 20, 30, 255,
      0, 0, 0, 0,         255, 255, 255, 64,
    ]);
    const { data, count, size } = await decodeImages([path], { size: 2 });
    expect([count, size, data.length]).toEqual([1, 2, 12]);
    // Flattening: out = bg + (c − bg)·α/255, written back as 8-bit. Pixel 0 on white, α = 128:
    //   r = 255 + (200 − 255)·128/255 = 227.39 → 227,  g = 255 + (100 − 255)·128/255 = 177.20 → 177,
    //   b = 255 + (0 − 255)·128/255 = 127.
    // Pixel 1 is opaque (unchanged); pixel 2 is fully transparent (pure background);
    // pixel 3 is white over white.
    // prettier-ignore
    expect(Array.from(data)).toEqual(f32([
      227 / 255, 177 / 255, 127 / 255,   10 / 255, 20 / 255, 30 / 255,
      1, 1, 1,                           1, 1, 1,
    ]));
  });

  it('uses the given background for transparent pixels', async () => {
    // prettier-ignore
    const path = await writePng('background.png', 2, 2, 4, [
      0, 0, 0, 0,   40, 50, 60, 255,
      9, 9, 9, 0,   1, 2, 3, 255,
    ]);
    const { data } = await decodeImages([path], { size: 2, background: [0, 128, 255] });
    // Transparent pixels become the background whatever their colour; opaque ones are unchanged.
    // prettier-ignore
    expect(Array.from(data)).toEqual(f32([
      0, 128 / 255, 1,   40 / 255, 50 / 255, 60 / 255,
      0, 128 / 255, 1,   1 / 255, 2 / 255, 3 / 255,
    ]));
  });

  it('resizes with fill to size×size and keeps the order of paths', async () => {
    const red = await writePng('red.png', 4, 4, 3, Array.from({ length: 16 }, () => [255, 0, 0]).flat());
    const teal = await writePng('teal.png', 6, 3, 3, Array.from({ length: 18 }, () => [0, 128, 128]).flat());
    for (const concurrency of [1, 4]) {
      const { data, count } = await decodeImages([teal, red, teal], { size: 2, concurrency });
      expect(count).toBe(3);
      // Uniform images stay uniform under any interpolating resize.
      const tealPixel = f32([0, 128 / 255, 128 / 255]);
      expect(Array.from(data.subarray(0, 12))).toEqual([
        ...tealPixel,
        ...tealPixel,
        ...tealPixel,
        ...tealPixel,
      ]);
      expect(Array.from(data.subarray(12, 24))).toEqual(Array(4).fill([1, 0, 0]).flat());
      expect(Array.from(data.subarray(24, 36))).toEqual(Array.from(data.subarray(0, 12)));
    }
  });

  it('decodes an installed emoji to RGB in [0, 1] with a white background', async () => {
    const file = resolveDatasetFile('emoji-datasource-twitter/img/twitter/64/1f600.png');
    const { data } = await decodeImages([file], { size: 32 });
    expect(data.length).toBe(32 * 32 * 3);
    expect(Math.min(...data)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...data)).toBeLessThanOrEqual(1);
    expect(Array.from(data.subarray(0, 3))).toEqual([1, 1, 1]); // the corner is transparent in the PNG
    const centre = (16 * 32 + 16) * 3;
    expect(Array.from(data.subarray(centre, centre + 3))).not.toEqual([1, 1, 1]);
  });

  it('decodes bytes in memory exactly like the same file, and names them in errors', async () => {
    const file = resolveDatasetFile('emoji-datasource-twitter/img/twitter/64/1f600.png');
    const fromFile = await decodeImages([file], { size: 32 });
    const fromBytes = await decodeImages([{ name: 'smile.png', bytes: readFileSync(file) }], { size: 32 });
    expect(fromBytes.data).toEqual(fromFile.data);
    const broken = decodeImages(
      [{ name: 'datasets/x/broken.png', bytes: new Uint8Array([0x89, 0x50, 1, 2]) }],
      {
        size: 4,
      },
    );
    await expect(broken).rejects.toThrow(/cannot decode image datasets\/x\/broken.png/);
  });

  it('returns an empty batch for no paths', async () => {
    const { data, count } = await decodeImages([], { size: 8 });
    expect(count).toBe(0);
    expect(data.length).toBe(0);
  });

  describe('files that cannot be decoded', () => {
    async function decodeError(paths: string[]): Promise<ImageDecodeError> {
      const error = await decodeImages(paths, { size: 4 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ImageDecodeError);
      return error as ImageDecodeError;
    }

    it('a missing file names the file and says it is missing', async () => {
      const missing = join(dir, 'no-such-image.png');
      const error = await decodeError([missing]);
      expect(error.file).toBe(missing);
      expect(error.message).toContain(`cannot decode image ${missing}: `);
      expect(error.message).toMatch(/missing/i);
    });

    it('a truncated PNG names the file and the decoder error', async () => {
      const whole = readFileSync(resolveDatasetFile('emoji-datasource-google/img/google/64/1f600.png'));
      const truncated = join(dir, 'truncated.png');
      writeFileSync(truncated, whole.subarray(0, Math.floor(whole.length / 2)));
      const good = await writePng('good.png', 2, 2, 3, Array(12).fill(9));
      const error = await decodeError([good, truncated]);
      expect(error.file).toBe(truncated);
      expect(error.message).toContain(`cannot decode image ${truncated}: `);
      expect(error.cause).toBeInstanceOf(Error);
      expect(error.message.length).toBeGreaterThan(`cannot decode image ${truncated}: `.length);
    });

    it('a file that is not an image names the file and the format problem', async () => {
      const text = join(dir, 'not-an-image.png');
      writeFileSync(text, 'this is not a PNG');
      const error = await decodeError([text]);
      expect(error.message).toContain(text);
      expect(error.message).toMatch(/unsupported image format/);
    });
  });

  it('rejects invalid options', async () => {
    await expect(decodeImages([], { size: 0 })).rejects.toThrow(/size must be a positive integer, got 0/);
    await expect(decodeImages([], { size: 2, background: [0, 0, 256] })).rejects.toThrow(
      /background must be three integers in 0\.\.255/,
    );
    await expect(decodeImages([], { size: 2, concurrency: 0 })).rejects.toThrow(/concurrency/);
  });
});

describe('normalizeInPlace', () => {
  it('subtracts the mean and divides by the std per interleaved channel', () => {
    const data = Float32Array.from([0.485, 0.456, 0.406, 1, 0, 0.5]);
    const out = normalizeInPlace(data, IMAGENET_MEAN, IMAGENET_STD);
    expect(out).toBe(data);
    // Pixel 0 is the mean itself → 0; pixel 1: (1 − 0.485)/0.229, (0 − 0.456)/0.224, (0.5 − 0.406)/0.225.
    const expected = [0, 0, 0, 2.2489082969432315, -2.0357142857142856, 0.41777777777777775];
    Array.from(out).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
  });

  it('rejects mismatched shapes and non-positive std', () => {
    expect(() => normalizeInPlace(new Float32Array(4), [0, 0, 0], [1, 1, 1])).toThrow(
      /not a multiple of 3 channels/,
    );
    expect(() => normalizeInPlace(new Float32Array(3), [0, 0, 0], [1, 1])).toThrow(/same non-zero length/);
    expect(() => normalizeInPlace(new Float32Array(3), [0, 0, 0], [1, 0, 1])).toThrow(
      /std\[1\] must be positive/,
    );
  });
});
