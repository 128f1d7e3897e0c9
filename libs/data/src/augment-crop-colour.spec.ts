import { describe, expect, it } from 'vitest';
import { cropColourAugment, hueSaturationMatrix } from './augment-crop-colour';
import { Mt19937 } from './random/mt19937';

// A 2×2 RGB image: black, grey 0.4, grey 0.8, and one coloured pixel.
// prettier-ignore
const SRC = Float32Array.from([
  0, 0, 0,         0.4, 0.4, 0.4,
  0.8, 0.8, 0.8,   0.2, 0.6, 1.0,
]);

function expectClose(actual: ArrayLike<number>, expected: readonly number[], digits = 6): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => expect(actual[i]).toBeCloseTo(e, digits));
}

describe('cropColourAugment', () => {
  it('draws eight uniforms per image in the documented order (seed 1)', () => {
    const probe = new Mt19937(1);
    const u = Array.from({ length: 8 }, () => probe.randomSample());
    expectClose(u, [0.417022, 0.720324, 0.000114, 0.302333, 0.146756, 0.092339, 0.18626, 0.345561]);
    // With one image every option is drawn for, the next word follows the eighth uniform.
    const rng = new Mt19937(1);
    cropColourAugment(SRC, 1, 2, rng, { hue: 0.3, saturation: [0.5, 1.5], grayscaleProb: 0.5 });
    expect(rng.nextUint32()).toBe(probe.nextUint32());
  });

  it('crops and resamples bilinearly: seed 1, a quarter of the area, square', () => {
    // Draws 4 and 5 place the 1×1 box at x0 = 0.302333, y0 = 0.146756; output (y, x) samples the source at
    // (y0 + (y + ½)/2 − ½, x0 + (x + ½)/2 − ½): rows −0.103244 and 0.396756, columns 0.052333 and 0.552333.
    // Pixel (0, 0): 0.103244·fill(1) + 0.896756·(0.947667·0 + 0.052333·0.4) = 0.122016.
    const out = cropColourAugment(SRC, 1, 2, new Mt19937(1), {
      flipProb: 0,
      scale: [0.25, 0.25],
      ratio: [1, 1],
    });
    // prettier-ignore
    expectClose(out, [
      0.122016, 0.122016, 0.122016,   0.301367, 0.301367, 0.301367,
      0.317575, 0.32588, 0.334185,    0.319197, 0.406853, 0.49451,
    ]);
  });

  it('zooms out when the area exceeds 1, reading fill around the image (seed 1, area 4)', () => {
    // A 4×4 box at x0 = (2 − 4)·0.302333, y0 = (2 − 4)·0.146756 around the 2×2 image.
    const out = cropColourAugment(SRC, 1, 2, new Mt19937(1), {
      flipProb: 0,
      scale: [4, 4],
      ratio: [1, 1],
      fill: -1,
    });
    // prettier-ignore
    expectClose(out, [
      0.043236, 0.043236, 0.043236,   -0.857791, -0.849146, -0.840502,
      -1, -1, -1,                     -1, -1, -1,
    ]);
  });

  it('is the identity (or a mirror) for the full crop and no colour change', () => {
    const src = Float32Array.from({ length: 2 * 3 * 3 * 3 }, (_, i) => (i % 17) / 17);
    const same = cropColourAugment(src, 2, 3, new Mt19937(4), { flipProb: 0, scale: [1, 1], ratio: [1, 1] });
    expectClose(same, Array.from(src));
    const mirrored = cropColourAugment(src.subarray(0, 27), 1, 3, new Mt19937(4), {
      flipProb: 1,
      scale: [1, 1],
      ratio: [1, 1],
    });
    for (let y = 0; y < 3; y++)
      for (let x = 0; x < 3; x++)
        for (let c = 0; c < 3; c++)
          expect(mirrored[(y * 3 + x) * 3 + c]).toBeCloseTo(src[(y * 3 + (2 - x)) * 3 + c], 6);
    expect(src[1]).toBeCloseTo(1 / 17, 7); // the input is left untouched
  });

  it('turns pixels grey (to their luma) and keeps greys and white unchanged under any hue change', () => {
    const full = { flipProb: 0, scale: [1, 1], ratio: [1, 1] } as const;
    const grey = cropColourAugment(SRC, 1, 2, new Mt19937(1), { ...full, grayscaleProb: 1 });
    const luma = 0.299 * 0.2 + 0.587 * 0.6 + 0.114 * 1.0;
    expectClose(grey, [0, 0, 0, 0.4, 0.4, 0.4, 0.8, 0.8, 0.8, luma, luma, luma]);
    // Seed 1's sixth draw 0.092339 gives a hue turn of 0.5·(2·0.092339 − 1) = −0.407661.
    const white = Float32Array.from([1, 1, 1, 0.5, 0.5, 0.5, 1, 0, 0, 0, 0, 1]);
    const turned = cropColourAugment(white, 1, 2, new Mt19937(1), { ...full, hue: 0.5 });
    const m = hueSaturationMatrix(0.5 * (2 * 0.092339 - 1), 1);
    const clamp = (v: number) => Math.min(1, Math.max(0, v));
    // prettier-ignore
    expectClose(turned, [
      1, 1, 1,   0.5, 0.5, 0.5,
      clamp(m[0]), clamp(m[3]), clamp(m[6]),   clamp(m[2]), clamp(m[5]), clamp(m[8]),
    ], 5);
    expect(turned[6]).not.toBeCloseTo(1, 2); // red really changed
  });

  it('builds hue/saturation matrices: identity, a half turn, and grey', () => {
    expectClose(hueSaturationMatrix(0, 1), [1, 0, 0, 0, 1, 0, 0, 0, 1], 12);
    // prettier-ignore
    expectClose(hueSaturationMatrix(0.5, 1), [
      -0.402, 1.174, 0.228,
      0.598, 0.174, 0.228,
      0.598, 1.174, -0.772,
    ], 12);
    // prettier-ignore
    expectClose(hueSaturationMatrix(0.25, 0), [
      0.299, 0.587, 0.114,
      0.299, 0.587, 0.114,
      0.299, 0.587, 0.114,
    ], 12);
  });

  it('is reproducible for a seed and differs across seeds', () => {
    const src = Float32Array.from({ length: 4 * 6 * 6 * 3 }, (_, i) => (i % 97) / 97);
    const opts = { hue: 0.1, saturation: [0.6, 1.4], grayscaleProb: 0.2 } as const;
    const a = cropColourAugment(src, 4, 6, new Mt19937(1993), opts);
    const b = cropColourAugment(src, 4, 6, new Mt19937(1993), opts);
    const c = cropColourAugment(src, 4, 6, new Mt19937(1996), opts);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    expect(Math.min(...a)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a)).toBeLessThanOrEqual(1);
  });

  it('rejects inconsistent shapes and options', () => {
    const rng = new Mt19937(0);
    const src = new Float32Array(12);
    expect(() => cropColourAugment(src, 2, 2, rng)).toThrow(/src has 12 values, expected n·size·size·3 = 24/);
    expect(() => cropColourAugment(src, 1, 0, rng)).toThrow(/size must be a positive integer/);
    expect(() => cropColourAugment(src, 1, 2, rng, { flipProb: 2 })).toThrow(/flipProb/);
    expect(() => cropColourAugment(src, 1, 2, rng, { grayscaleProb: -0.1 })).toThrow(/grayscaleProb/);
    expect(() => cropColourAugment(src, 1, 2, rng, { scale: [0.5, 0.4] })).toThrow(/scale/);
    expect(() => cropColourAugment(src, 1, 2, rng, { ratio: [0, 1] })).toThrow(/ratio/);
    expect(() => cropColourAugment(src, 1, 2, rng, { saturation: [-1, 1] })).toThrow(/saturation/);
    expect(() => cropColourAugment(src, 1, 2, rng, { hue: 0.6 })).toThrow(/hue/);
    expect(() => cropColourAugment(src, 1, 2, rng, { fill: Number.NaN })).toThrow(/fill/);
  });
});
