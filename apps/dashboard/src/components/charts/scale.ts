/** Axis arithmetic for the SVG charts: linear scales and "nice" tick values. */

export interface Domain {
  min: number;
  max: number;
}

/** About `count` round tick values (1, 2 or 5 × 10^k apart) covering the domain. */
export function niceTicks({ min, max }: Domain, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) return [min];
  const raw = (max - min) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const first = Math.ceil(min / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let v = first; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** Maps the domain onto [from, to] (pixels). */
export function linear(domain: Domain, from: number, to: number): (v: number) => number {
  const span = domain.max - domain.min || 1;
  return (v) => from + ((v - domain.min) / span) * (to - from);
}

/** The smallest domain holding every value, padded so lines do not sit on the frame. */
export function extent(values: readonly number[], pad = 0.05): Domain {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return { min: 0, max: 1 };
  let min = Math.min(...finite);
  let max = Math.max(...finite);
  if (min === max) {
    const d = Math.abs(min) * 0.1 || 1;
    return { min: min - d, max: max + d };
  }
  const d = (max - min) * pad;
  min -= d;
  max += d;
  return { min, max };
}

/** A short label for a tick value (no float noise, exponent for tiny learning rates). */
export function tickLabel(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e5) return v.toExponential(0);
  return String(Number(v.toPrecision(4)));
}

/** Distinct colours for overlaid series (colour-blind friendly, Okabe–Ito). */
export const SERIES_COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];
