import { describe, expect, it } from 'vitest';
import { flipShiftAugment } from './augment';
import { Mt19937 } from './random/mt19937';

const F = -1; // a fill value that cannot be mistaken for a pixel

describe('flipShiftAugment', () => {
  it('applies the documented draws: seed 6, two 3×3 single-channel images, maxShift 1', () => {
    // The draws, per image: u (flip iff u < 0.5), dx, dy.
    const probe = new Mt19937(6);
    const draws = [0, 1].map(() => ({
      flip: probe.randomSample() < 0.5,
      dx: probe.randomInterval(2) - 1,
      dy: probe.randomInterval(2) - 1,
    }));
    expect(draws).toEqual([
      { flip: false, dx: -1, dy: 1 },
      { flip: true, dx: 1, dy: -1 },
    ]);

    // prettier-ignore
    const src = Float32Array.from([
      1, 2, 3,    4, 5, 6,    7, 8, 9,
      11, 12, 13, 14, 15, 16, 17, 18, 19,
    ]);
    const out = flipShiftAugment(src, 2, 3, new Mt19937(6), { maxShift: 1, fill: F, channels: 1 });
    // Image 0: no flip; content moves left 1 and down 1 — out(y, x) = src(y − 1, x + 1).
    // Image 1: flipped to rows [13 12 11], [16 15 14], [19 18 17], then moved right 1 and up 1.
    // prettier-ignore
    expect(Array.from(out)).toEqual([
      F, F, F,    2, 3, F,    5, 6, F,
      F, 16, 15,  F, 19, 18,  F, F, F,
    ]);
    expect(Array.from(src.slice(0, 3))).toEqual([1, 2, 3]); // the input is left untouched
  });

  it('moves whole RGB pixels and fills exposed ones with white by default', () => {
    // 2×2 RGB image; flipProb 1 always flips; the shift is whatever seed 0 draws.
    // prettier-ignore
    const src = Float32Array.from([
      0.1, 0.2, 0.3,   0.4, 0.5, 0.6,
      0.7, 0.8, 0.9,   0.0, 0.25, 0.5,
    ]);
    const probe = new Mt19937(0);
    probe.randomSample();
    const dx = probe.randomInterval(2) - 1;
    const dy = probe.randomInterval(2) - 1;
    expect([dx, dy]).toEqual([0, -1]);
    const out = flipShiftAugment(src, 1, 2, new Mt19937(0), { maxShift: 1, flipProb: 1 });
    // Flipped rows: [(0.4,0.5,0.6) (0.1,0.2,0.3)], [(0,0.25,0.5) (0.7,0.8,0.9)]; then up one row.
    // prettier-ignore
    expect(Array.from(out)).toEqual(Array.from(Float32Array.from([
      0.0, 0.25, 0.5,  0.7, 0.8, 0.9,
      1, 1, 1,         1, 1, 1,
    ])));
  });

  it('draws u, dx, dy for every image whatever flipProb is, and nothing for a zero shift range', () => {
    const src = Float32Array.from({ length: 2 * 4 * 4 * 3 }, (_, i) => i / 100);
    const a = new Mt19937(11);
    const b = new Mt19937(11);
    flipShiftAugment(src, 2, 4, a, { flipProb: 0 });
    flipShiftAugment(src, 2, 4, b, { flipProb: 1 });
    expect(a.nextUint32()).toBe(b.nextUint32());

    const rng = new Mt19937(3);
    const out = flipShiftAugment(src, 2, 4, rng, { maxShift: 0, flipProb: 0 });
    expect(out).not.toBe(src);
    expect(Array.from(out)).toEqual(Array.from(src));
    const probe = new Mt19937(3);
    probe.randomSample();
    probe.randomSample();
    expect(rng.nextUint32()).toBe(probe.nextUint32()); // exactly one draw per image
  });

  it('is reproducible for a seed and differs across seeds', () => {
    const src = Float32Array.from({ length: 8 * 6 * 6 * 3 }, (_, i) => (i % 97) / 97);
    const a = flipShiftAugment(src, 8, 6, new Mt19937(1993), { maxShift: 2 });
    const b = flipShiftAugment(src, 8, 6, new Mt19937(1993), { maxShift: 2 });
    const c = flipShiftAugment(src, 8, 6, new Mt19937(1996), { maxShift: 2 });
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });

  it('rejects inconsistent shapes and options', () => {
    const rng = new Mt19937(0);
    const src = new Float32Array(12);
    expect(() => flipShiftAugment(src, 2, 2, rng)).toThrow(
      /src has 12 values, expected n·size·size·channels = 24/,
    );
    expect(() => flipShiftAugment(src, 1, 0, rng)).toThrow(/size must be a positive integer/);
    expect(() => flipShiftAugment(src, 1, 2, rng, { maxShift: -1 })).toThrow(/maxShift/);
    expect(() => flipShiftAugment(src, 1, 2, rng, { flipProb: 1.5 })).toThrow(/flipProb/);
    expect(() => flipShiftAugment(src, 1, 2, rng, { fill: Number.NaN })).toThrow(/fill/);
  });
});
