/**
 * The arithmetic behind the interactive charts, kept apart from the canvas: smoothing, bands over seeds,
 * logarithmic ticks and the alignment of several series onto one x axis.
 */

/**
 * Exponential moving average with bias correction (as TensorBoard smooths a curve): s_i = w·s_{i−1} +
 * (1 − w)·v_i from s = 0, divided by (1 − w^k) after the k-th finite value, so the first value is the value
 * itself rather than pulled towards 0. `weight` in [0, 1): 0 leaves the curve as it is. A null or
 * non-finite value stays null and does not move the average.
 */
export function ema(values: readonly (number | null)[], weight: number): (number | null)[] {
  if (!(weight >= 0 && weight < 1)) throw new RangeError(`smoothing weight must be in [0, 1), got ${weight}`);
  let s = 0;
  let k = 0;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return null;
    if (weight === 0) return v;
    k += 1;
    s = weight * s + (1 - weight) * v;
    return s / (1 - weight ** k);
  });
}

/** The mean of the curves at one x, their spread (std, ddof 0 as numpy) and how many curves have a value. */
export interface BandPoint {
  mean: number;
  std: number;
  n: number;
  lo: number;
  hi: number;
}

/**
 * Mean ± std over curves (one per seed) at each index: index t averages the curves that reach t, so a seed
 * that stopped early lowers n there rather than the mean. std is numpy's (ddof 0), as the paper's tables.
 */
export function meanStdBand(curves: readonly (readonly number[])[]): BandPoint[] {
  const length = Math.max(0, ...curves.map((c) => c.length));
  return Array.from({ length }, (_, t) => {
    const values = curves.map((c) => c[t]).filter((v): v is number => v !== undefined && Number.isFinite(v));
    const n = values.length;
    const mean = n ? values.reduce((a, b) => a + b, 0) / n : NaN;
    const std = n ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / n) : NaN;
    return { mean, std, n, lo: mean - std, hi: mean + std };
  });
}

/**
 * A band point as text: `18.48 ± 0.30 (n = 3)`; one curve has no spread to show, so it is the value alone
 * with `(n = 1)`, never `± 0.00`.
 */
export function bandText(p: BandPoint, digits = 2): string {
  if (p.n === 0) return '–';
  return p.n === 1
    ? `${p.mean.toFixed(digits)} (n = 1)`
    : `${p.mean.toFixed(digits)} ± ${p.std.toFixed(digits)} (n = ${p.n})`;
}

/**
 * Tick values for a log₁₀ axis over [min, max] (both > 0): the powers of ten inside it; where fewer than
 * two fit, also 2× and 5× each power; where even those give fewer than two, the ends themselves.
 */
export function logTicks(min: number, max: number): number[] {
  if (!(min > 0) || !(max > 0) || !Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min > max) [min, max] = [max, min];
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max));
  const inside = (v: number) => v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9);
  const at = (m: number, k: number) => Number((m * 10 ** k).toPrecision(12));
  const decades: number[] = [];
  for (let k = lo; k <= hi; k++) decades.push(at(1, k));
  const powers = decades.filter(inside);
  if (powers.length >= 2) return powers;
  const finer = decades.flatMap((_, i) => [1, 2, 5].map((m) => at(m, lo + i))).filter(inside);
  if (finer.length >= 2) return finer;
  return min === max ? [min] : [min, max];
}

/**
 * A tick label for a log axis, the value itself rather than its exponent: `1e-2`, `5e-4`, `0.1`, `1`, `20`.
 * Below 0.1 and from 10⁴ in exponent form (mantissa without trailing zeros).
 */
export function logTickLabel(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 0.1 && a < 1e4) return String(Number(v.toPrecision(3)));
  const [mantissa, exponent] = v.toExponential(2).split('e');
  return `${Number(mantissa)}e${Number(exponent)}`;
}

/** A value as the chart's legend shows it: a learning rate in exponent form, anything else with `digits`. */
export function valueLabel(v: number | null | undefined, { log = false, digits = 2 } = {}): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (log) {
    const [mantissa, exponent] = v.toExponential(3).split('e');
    return `${Number(mantissa)}e${Number(exponent)}`;
  }
  return v.toFixed(digits);
}

/**
 * Several series on one x axis, as uPlot draws them: the sorted union of their x values, and for each
 * series its y at every x (null where it has no point, so its line is not drawn there).
 */
export function alignSeries(
  series: readonly { points: readonly { x: number; y: number }[] }[],
): [number[], ...(number | null)[][]] {
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = series.map((s) => {
    const y: (number | null)[] = new Array<number | null>(xs.length).fill(null);
    for (const p of s.points) y[index.get(p.x) as number] = Number.isFinite(p.y) ? p.y : null;
    return y;
  });
  return [xs, ...ys];
}

/** The index of the x nearest to `x` in sorted `xs` (−1 for none). */
export function nearestIndex(xs: readonly number[], x: number): number {
  if (xs.length === 0 || !Number.isFinite(x)) return -1;
  let lo = 0;
  let hi = xs.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= x) lo = mid;
    else hi = mid;
  }
  return Math.abs(xs[hi] - x) < Math.abs(x - xs[lo]) ? hi : lo;
}

/**
 * The index of the value a series shows at `idx`: `idx` itself where it has one, else its nearest non-null
 * value (overlaid runs have points at different x; −1 for a series with none).
 */
export function nearestValueIndex(values: readonly (number | null)[], idx: number): number {
  if (idx < 0 || idx >= values.length) return -1;
  for (let d = 0; d < values.length; d++) {
    if (idx - d >= 0 && values[idx - d] !== null) return idx - d;
    if (idx + d < values.length && values[idx + d] !== null) return idx + d;
  }
  return -1;
}
