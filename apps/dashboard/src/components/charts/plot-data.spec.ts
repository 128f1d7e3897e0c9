import { describe, expect, it } from 'vitest';
import {
  alignSeries,
  bandText,
  ema,
  logTickLabel,
  logTicks,
  meanStdBand,
  nearestIndex,
  nearestValueIndex,
  valueLabel,
} from './plot-data';

describe('chart data', () => {
  it('smooths with a bias-corrected EMA (hand-computed: w = 0.5 over 1, 2, 3)', () => {
    // s1 = 0.5 → 0.5 / 0.5 = 1; s2 = 0.25 + 1 = 1.25 → 1.25 / 0.75; s3 = 0.625 + 1.5 = 2.125 → / 0.875.
    const smoothed = ema([1, 2, 3], 0.5);
    expect(smoothed[0]).toBeCloseTo(1, 12);
    expect(smoothed[1]).toBeCloseTo(5 / 3, 12);
    expect(smoothed[2]).toBeCloseTo(17 / 7, 12);
    expect(ema([1, 2, 3], 0)).toEqual([1, 2, 3]);
  });

  it('skips gaps when smoothing and refuses a weight outside [0, 1)', () => {
    // 4 → 4; the gap stays a gap; then s = 0.5·2 + 0.5·2 = 2 → 2 / (1 − 0.25).
    const smoothed = ema([4, null, 2, NaN], 0.5);
    expect(smoothed[0]).toBe(4);
    expect(smoothed[1]).toBeNull();
    expect(smoothed[2]).toBeCloseTo(8 / 3, 12);
    expect(smoothed[3]).toBeNull();
    expect(() => ema([1], 1)).toThrow(/smoothing weight/);
    expect(() => ema([1], -0.1)).toThrow(/smoothing weight/);
  });

  it('bands curves over seeds with numpy’s std (ddof 0), n counting the seeds that reach each task', () => {
    const band = meanStdBand([
      [10, 20],
      [14, 24, 30],
    ]);
    expect(band).toEqual([
      { mean: 12, std: 2, n: 2, lo: 10, hi: 14 },
      { mean: 22, std: 2, n: 2, lo: 20, hi: 24 },
      { mean: 30, std: 0, n: 1, lo: 30, hi: 30 },
    ]);
    expect(meanStdBand([])).toEqual([]);
  });

  it('writes one seed as the value with n = 1, never ± 0.00', () => {
    expect(bandText({ mean: 18.48, std: 0, n: 1, lo: 18.48, hi: 18.48 })).toBe('18.48 (n = 1)');
    expect(bandText({ mean: 12, std: 2, n: 2, lo: 10, hi: 14 })).toBe('12.00 ± 2.00 (n = 2)');
    expect(bandText({ mean: NaN, std: NaN, n: 0, lo: NaN, hi: NaN })).toBe('–');
  });

  it('ticks a log axis at powers of ten, finer where the range spans less than a decade', () => {
    expect(logTicks(1e-4, 2e-2)).toEqual([1e-4, 1e-3, 1e-2]);
    expect(logTicks(0.002, 0.009)).toEqual([0.002, 0.005]);
    expect(logTicks(0.003, 0.004)).toEqual([0.003, 0.004]);
    expect(logTicks(0.01, 0.01)).toEqual([0.01]);
    expect(logTicks(0, 1)).toEqual([]);
  });

  it('labels log ticks with the values themselves, not their exponents', () => {
    expect([1e-2, 1e-3, 5e-3, 2.5e-3, 0.1, 1, 20, 1e5].map(logTickLabel)).toEqual([
      '1e-2',
      '1e-3',
      '5e-3',
      '2.5e-3',
      '0.1',
      '1',
      '20',
      '1e5',
    ]);
    expect(valueLabel(0.00123456, { log: true })).toBe('1.235e-3');
    expect(valueLabel(0.01, { log: true })).toBe('1e-2');
    expect(valueLabel(2.34567)).toBe('2.35');
    expect(valueLabel(null)).toBe('–');
  });

  it('aligns series on the union of their x values, null where a series has no point', () => {
    expect(
      alignSeries([
        {
          points: [
            { x: 3, y: 7 },
            { x: 1, y: 5 },
          ],
        },
        {
          points: [
            { x: 2, y: 1 },
            { x: 3, y: NaN },
          ],
        },
      ]),
    ).toEqual([
      [1, 2, 3],
      [5, null, 7],
      [null, 1, null],
    ]);
  });

  it('finds the nearest x', () => {
    const xs = [0, 1, 2, 4];
    expect([2.9, 3.1, -5, 10].map((x) => nearestIndex(xs, x))).toEqual([2, 3, 0, 3]);
    expect(nearestIndex([], 1)).toBe(-1);
  });

  it('shows a series’ nearest value where it has none at the cursor (overlaid runs)', () => {
    const values = [null, 5, null, null, 7, null];
    // At 0 the nearest is 1; at 2 the one before (1) wins a tie with none closer; at 3 the one after (4).
    expect([0, 1, 2, 3, 5].map((i) => nearestValueIndex(values, i))).toEqual([1, 1, 1, 4, 4]);
    expect(nearestValueIndex([null, null], 0)).toBe(-1);
    expect(nearestValueIndex([1], 3)).toBe(-1);
  });
});
