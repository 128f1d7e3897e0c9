import type { Mt19937 } from './random/mt19937';

export interface FlipShiftOptions {
  /** Largest translation in pixels along each axis; default 4. */
  maxShift?: number;
  /** Probability of a horizontal flip; default 0.5. */
  flipProb?: number;
  /** Value written into pixels the translation exposes; default 1 (white, matching emoji backgrounds). */
  fill?: number;
  /** Interleaved channels per pixel; default 3. */
  channels?: number;
}

/**
 * Random horizontal flip followed by a random integer translation, for NHWC float32 batches.
 *
 * Draw order, per image in batch order (fixed so a seed reproduces a batch exactly):
 *   1. `u = rng.randomSample()`; the image is flipped iff `u < flipProb`;
 *   2. `dx = rng.randomInterval(2·maxShift) − maxShift`;
 *   3. `dy = rng.randomInterval(2·maxShift) − maxShift`.
 * All three are drawn even when `flipProb` is 0 or 1, so changing a probability never shifts the
 * stream; with `maxShift` 0, steps 2–3 consume nothing (numpy's interval sampler returns 0 directly).
 * Output pixel (y, x) takes flipped pixel (y − dy, x − dx): positive dx moves content right,
 * positive dy moves it down; pixels with no source get `fill`.
 */
export function flipShiftAugment(
  src: Float32Array,
  n: number,
  size: number,
  rng: Mt19937,
  options: FlipShiftOptions = {},
): Float32Array {
  const { maxShift = 4, flipProb = 0.5, fill = 1, channels = 3 } = options;
  for (const [name, value] of [
    ['n', n],
    ['size', size],
    ['channels', channels],
  ] as const) {
    if (!Number.isInteger(value) || value <= 0)
      throw new RangeError(`flipShiftAugment: ${name} must be a positive integer, got ${String(value)}`);
  }
  if (!Number.isInteger(maxShift) || maxShift < 0) {
    throw new RangeError(
      `flipShiftAugment: maxShift must be a non-negative integer, got ${String(maxShift)}`,
    );
  }
  if (!(flipProb >= 0 && flipProb <= 1))
    throw new RangeError(`flipShiftAugment: flipProb must be in [0, 1], got ${String(flipProb)}`);
  if (!Number.isFinite(fill))
    throw new RangeError(`flipShiftAugment: fill must be finite, got ${String(fill)}`);
  const imageLength = size * size * channels;
  if (src.length !== n * imageLength) {
    throw new RangeError(
      `flipShiftAugment: src has ${src.length} values, expected n·size·size·channels = ${n * imageLength}`,
    );
  }

  const out = new Float32Array(src.length);
  for (let i = 0; i < n; i++) {
    const flip = rng.randomSample() < flipProb;
    const dx = rng.randomInterval(2 * maxShift) - maxShift;
    const dy = rng.randomInterval(2 * maxShift) - maxShift;
    const base = i * imageLength;
    for (let y = 0; y < size; y++) {
      const sy = y - dy;
      for (let x = 0; x < size; x++) {
        const sx = x - dx;
        const o = base + (y * size + x) * channels;
        if (sy < 0 || sy >= size || sx < 0 || sx >= size) {
          out.fill(fill, o, o + channels);
          continue;
        }
        const s = base + (sy * size + (flip ? size - 1 - sx : sx)) * channels;
        for (let c = 0; c < channels; c++) out[o + c] = src[s + c];
      }
    }
  }
  return out;
}
