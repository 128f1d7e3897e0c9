import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { Mt19937 } from '../random/mt19937';
import {
  applyTransforms,
  centerCropBox,
  crop,
  decodeResizeCenterCrop,
  hflip,
  normalizeImage,
  randomCropBox,
  randomResizedCropBox,
  resizeBicubic,
  resizeShorterSize,
  rgbImage,
  roundHalfEven,
  scaleTransforms,
  transformBatch,
  decodeSourceImages,
  type RgbImage,
} from './index';

/** A w×h image whose pixel (x, y) channel c is (10·y + x + 100·c) / 255: every value names its place. */
function indexed(w: number, h: number): RgbImage {
  const data = new Float32Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) data[(y * w + x) * 3 + c] = (10 * y + x + 100 * c) / 255;
  return rgbImage(w, h, data);
}

/** The (x, y) a pixel of an {@link indexed} image came from, read back from its red value. */
const origin = (img: RgbImage, x: number, y: number) => {
  const v = Math.round(img.data[(y * img.width + x) * 3] * 255);
  return [v % 10, Math.floor(v / 10)];
};

/** A smooth 8-bit test picture (no hard edges, so bicubic implementations agree closely). */
function smooth(w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      out[(y * w + x) * 3] = Math.round(127.5 + 100 * Math.sin((x / w) * Math.PI * 2));
      out[(y * w + x) * 3 + 1] = Math.round(127.5 + 100 * Math.cos((y / h) * Math.PI * 2));
      out[(y * w + x) * 3 + 2] = Math.round((255 * (x + y)) / (w + h - 2));
    }
  return out;
}

describe('torchvision geometry (hand-computed)', () => {
  it("rounds halves to even as Python's round does", () => {
    expect([0.5, 1.5, 2.5, -0.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, -0, 2, 3]);
  });

  it('Resize(int) sets the shorter side and truncates the longer one', () => {
    expect(resizeShorterSize(500, 375, 256)).toEqual({ width: 341, height: 256 }); // 256·500/375 = 341.33
    expect(resizeShorterSize(375, 500, 256)).toEqual({ width: 256, height: 341 });
    expect(resizeShorterSize(32, 32, 256)).toEqual({ width: 256, height: 256 });
  });

  it('CenterCrop offsets are round((H − size) / 2) with halves to even', () => {
    expect(centerCropBox(256, 256, 224)).toEqual({ top: 16, left: 16, height: 224, width: 224 });
    expect(centerCropBox(5, 3, 2)).toEqual({ top: 0, left: 2, height: 2, width: 2 }); // 0.5 → 0, 1.5 → 2
    expect(() => centerCropBox(4, 4, 5)).toThrow('center crop 5 does not fit a 4×4 image');
  });

  it('RandomCrop draws top then left, inclusive ranges, nothing when the crop is the whole image', () => {
    const a = new Mt19937(3);
    const b = new Mt19937(3);
    const box = randomCropBox(300, 300, 224, a);
    expect(box).toEqual({ top: b.randomInterval(76), left: b.randomInterval(76), height: 224, width: 224 });
    const c = new Mt19937(3);
    expect(randomCropBox(224, 224, 224, c)).toEqual({ top: 0, left: 0, height: 224, width: 224 });
    expect(c.nextUint32()).toBe(new Mt19937(3).nextUint32());
  });

  it('RandomResizedCrop follows the first attempt that fits, and stays within scale (0.08, 1) and ratio (3/4, 4/3)', () => {
    const rng = new Mt19937(1993);
    const replay = new Mt19937(1993);
    const box = randomResizedCropBox(32, 32, [0.08, 1], [3 / 4, 4 / 3], rng);
    const area = 1024 * (0.08 + 0.92 * replay.randomSample());
    const ratio = Math.exp(Math.log(3 / 4) + (Math.log(4 / 3) - Math.log(3 / 4)) * replay.randomSample());
    const w = roundHalfEven(Math.sqrt(area * ratio));
    const h = roundHalfEven(Math.sqrt(area / ratio));
    expect(w).toBeLessThanOrEqual(32); // the first attempt fits for this seed
    expect(box).toEqual({
      top: replay.randomInterval(32 - h),
      left: replay.randomInterval(32 - w),
      height: h,
      width: w,
    });
    expect(rng.state).toEqual(replay.state);

    const many = new Mt19937(7);
    for (let k = 0; k < 500; k++) {
      const b = randomResizedCropBox(224, 224, [0.08, 1], [3 / 4, 4 / 3], many);
      expect(b.top + b.height).toBeLessThanOrEqual(224);
      expect(b.left + b.width).toBeLessThanOrEqual(224);
      expect((b.width * b.height) / 224 ** 2).toBeGreaterThan(0.075); // 0.08 up to the rounding of w, h
      expect(b.width / b.height).toBeGreaterThan(0.7);
      expect(b.width / b.height).toBeLessThan(1.42);
    }
  });

  it('falls back to the centred whole image clamped to the ratio range when no attempt fits', () => {
    // A 100×10 strip: every 3/4..4/3 box of ≥ 8 % of the area is taller than 10 px.
    expect(randomResizedCropBox(100, 10, [0.5, 1], [3 / 4, 4 / 3], new Mt19937(1))).toEqual({
      top: 0,
      left: 43,
      height: 10,
      width: 13, // round(10 · 4/3)
    });
  });
});

describe('pixel operations (hand-computed)', () => {
  const img = indexed(4, 3);

  it('crop copies the box', () => {
    const out = crop(img, { top: 1, left: 2, height: 2, width: 2 });
    expect([origin(out, 0, 0), origin(out, 1, 0), origin(out, 0, 1), origin(out, 1, 1)]).toEqual([
      [2, 1],
      [3, 1],
      [2, 2],
      [3, 2],
    ]);
    expect(() => crop(img, { top: 2, left: 0, height: 2, width: 1 })).toThrow('leaves the 4×3 image');
  });

  it('hflip mirrors each row', () => {
    const out = hflip(img);
    expect([0, 1, 2, 3].map((x) => origin(out, x, 2))).toEqual([
      [3, 2],
      [2, 2],
      [1, 2],
      [0, 2],
    ]);
  });

  it('normalise is (x − mean) / std per channel', () => {
    const px = rgbImage(1, 1, Float32Array.from([0.5, 0.25, 1]));
    const out = normalizeImage(px, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);
    expect(out.data[0]).toBeCloseTo((0.5 - 0.485) / 0.229, 6);
    expect(out.data[1]).toBeCloseTo((0.25 - 0.456) / 0.224, 6);
    expect(out.data[2]).toBeCloseTo((1 - 0.406) / 0.225, 6);
  });

  it('the CIFAR pipeline: hflip draws one sample, brightness one more, clamped to [0, 1]', () => {
    const steps = [
      { op: 'hflip', p: 1 },
      { op: 'brightness-jitter', brightness: 63 / 255 },
    ] as const;
    const rng = new Mt19937(5);
    const replay = new Mt19937(5);
    const out = applyTransforms(img, [...steps], rng);
    replay.randomSample(); // the flip draw (p = 1 always flips)
    const lo = 1 - 63 / 255;
    const factor = lo + (1 + 63 / 255 - lo) * replay.randomSample();
    const flipped = hflip(img);
    out.data.forEach((v, i) => expect(v).toBeCloseTo(Math.min(1, flipped.data[i] * factor), 6));
    expect(rng.state).toEqual(replay.state);
    expect(applyTransforms(img, [{ op: 'hflip', p: 0 }], new Mt19937(5)).data).toEqual(img.data);
  });

  it('is deterministic from the rng and differs across seeds', () => {
    const steps = scaleTransforms(
      [
        { op: 'random-resized-crop', size: 224, scale: [0.08, 1], ratio: [3 / 4, 4 / 3] },
        { op: 'hflip', p: 0.5 },
      ],
      8,
    );
    expect(steps[0]).toMatchObject({ size: 8 });
    const big = indexed(9, 9);
    const a = applyTransforms(big, steps, new Mt19937(1));
    expect(applyTransforms(big, steps, new Mt19937(1)).data).toEqual(a.data);
    expect(applyTransforms(big, steps, new Mt19937(2)).data).not.toEqual(a.data);
    expect([a.width, a.height]).toEqual([8, 8]);
  });
});

describe('bicubic resize', () => {
  it('is the identity at the same size and keeps a constant image constant', () => {
    const img = indexed(5, 4);
    resizeBicubic(img, 5, 4).data.forEach((v, i) => expect(v).toBeCloseTo(img.data[i], 6));
    const flat = rgbImage(3, 3, new Float32Array(27).fill(0.3));
    for (const v of resizeBicubic(flat, 7, 2).data) expect(v).toBeCloseTo(0.3, 6);
  });

  it('enlarges with centre-aligned taps as PIL does: [0, 1] → 4 px is [0, 0.2071, 0.7929, 1]', () => {
    // Output 1 sits at input 0.75: taps bicubic(−0.25) = 0.8671875 on 0 and bicubic(0.75) = 0.2265625 on
    // 1, normalised: 0.2265625 / 1.09375. Output 0 undershoots (−0.0882) and is clamped to 0.
    const out = resizeBicubic(rgbImage(2, 1, Float32Array.from([0, 0, 0, 1, 1, 1])), 4, 1);
    const red = [0, 3, 6, 9].map((i) => out.data[i]);
    [0, 0.2265625 / 1.09375, 1 - 0.2265625 / 1.09375, 1].forEach((v, k) => expect(red[k]).toBeCloseTo(v, 6));
  });

  it.each([
    [32, 24, 13, 9],
    [64, 48, 20, 20],
    [17, 40, 8, 11],
  ])("shrinks as sharp's cubic kernel does, %i×%i → %i×%i within 2/255", async (w, h, tw, th) => {
    const pixels = smooth(w, h);
    const ours = resizeBicubic(
      rgbImage(
        w,
        h,
        Float32Array.from(pixels, (v) => v / 255),
      ),
      tw,
      th,
    );
    const theirs = await sharp(Buffer.from(pixels), { raw: { width: w, height: h, channels: 3 } })
      .resize(tw, th, { kernel: 'cubic', fit: 'fill' })
      .raw()
      .toBuffer();
    let worst = 0;
    ours.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v * 255 - theirs[i]))));
    expect(worst).toBeLessThanOrEqual(2);
  });
});

describe('decodeResizeCenterCrop (the test transform through libvips)', () => {
  it('resizes the shorter side and takes the torchvision centre crop', async () => {
    // 10×6 resized to shorter side 6 is the same size, so the crop is exact: left 3, top 1.
    const img = indexed(10, 6);
    const png = await sharp(Buffer.from(img.data.map((v) => Math.round(v * 255))), {
      raw: { width: 10, height: 6, channels: 3 },
    })
      .png()
      .toBuffer();
    const out = await decodeResizeCenterCrop([{ name: 'a.png', bytes: png }], { resize: 6, crop: 4 });
    expect(out).toMatchObject({ count: 1, size: 4 });
    const decoded = rgbImage(4, 4, out.data);
    expect(origin(decoded, 0, 0)).toEqual([3, 1]);
    expect(origin(decoded, 3, 3)).toEqual([6, 4]);
    await expect(
      decodeResizeCenterCrop([{ name: 'bad.png', bytes: Uint8Array.from([1, 2, 3]) }], {
        resize: 6,
        crop: 4,
      }),
    ).rejects.toThrow('cannot decode image bad.png');
  });
});

describe('training batches from source images', () => {
  it('transformBatch runs each image through the pipeline in order on one rng, packed NHWC', () => {
    const images = [indexed(6, 5), indexed(7, 7), indexed(5, 6)];
    const steps = [
      { op: 'random-crop', size: 4 },
      { op: 'hflip', p: 0.5 },
    ] as const;
    const batch = transformBatch(images, [...steps], new Mt19937(3), 4);
    // The same draws, one image after the other: image k continues the stream where image k−1 left it.
    const rng = new Mt19937(3);
    const expected = images.map((im) => applyTransforms(im, [...steps], rng).data);
    expect(batch).toEqual(Float32Array.from(expected.flatMap((d) => Array.from(d))));
    // Every output pixel is a source pixel of its own image (a crop, maybe mirrored): origins stay inside.
    const first = rgbImage(4, 4, batch.slice(0, 48));
    for (let y = 0; y < 4; y++)
      for (let x = 0; x < 4; x++) {
        const [ox, oy] = origin(first, x, y);
        expect(ox).toBeLessThan(6);
        expect(oy).toBeLessThan(5);
      }
  });

  it('transformBatch names the image a pipeline leaves at the wrong size', () => {
    expect(
      () => transformBatch([indexed(6, 6), indexed(9, 5)], [{ op: 'resize', size: 6 }], new Mt19937(1), 6),
      // torchvision's Resize(6): the shorter side 5 → 6, the longer int(6 · 9 / 5) = 10.
    ).toThrow('the training pipeline turned image 1 (9×5) into 10×6, expected 6×6');
  });

  it('decodeSourceImages keeps each image at its own size, alpha dropped, values /255', async () => {
    const png = await sharp(Buffer.from([10, 20, 30, 255, 40, 50, 60, 0, 70, 80, 90, 128]), {
      raw: { width: 3, height: 1, channels: 4 },
    })
      .png()
      .toBuffer();
    const jpegish = await sharp({ create: { width: 5, height: 2, channels: 3, background: '#000000' } })
      .png()
      .toBuffer();
    const [a, b] = await decodeSourceImages([
      { name: 'a.png', bytes: png },
      { name: 'b.png', bytes: jpegish },
    ]);
    expect([a.width, a.height, b.width, b.height]).toEqual([3, 1, 5, 2]);
    expect(Array.from(a.data, (v) => Math.round(v * 255))).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90]);
    await expect(
      decodeSourceImages([{ name: 'broken.jpg', bytes: new Uint8Array([1, 2, 3]) }]),
    ).rejects.toThrow('cannot decode image broken.jpg');
  });
});
