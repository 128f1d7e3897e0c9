import type { Mt19937 } from './random/mt19937';

export interface CropColourOptions {
  /** Probability of a horizontal flip; default 0.5. */
  flipProb?: number;
  /** Range of the crop's area as a fraction of the image; default [0.35, 1]. Above 1 zooms out. */
  scale?: readonly [number, number];
  /** Range of the crop's aspect ratio (width / height), sampled log-uniformly; default [3/4, 4/3]. */
  ratio?: readonly [number, number];
  /** Largest hue rotation, as a fraction of a full turn (0.5 = any hue); default 0 (none). */
  hue?: number;
  /** Range of the saturation factor (0 = grey, 1 = unchanged); default [1, 1]. */
  saturation?: readonly [number, number];
  /** Probability of turning the image grey (after the hue and saturation change); default 0. */
  grayscaleProb?: number;
  /** Value of pixels the crop takes from outside the image; default 1 (white, as emoji backgrounds). */
  fill?: number;
}

// RGB → YIQ (NTSC). Hue rotation turns (I, Q); saturation scales them; Y (luma) is kept. Greys, white
// included, have I = Q = 0 and so never change.
const RGB_TO_YIQ = [0.299, 0.587, 0.114, 0.596, -0.274, -0.322, 0.211, -0.523, 0.312];
const YIQ_TO_RGB = invert3(RGB_TO_YIQ);

function invert3(m: readonly number[]): number[] {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [
    A / det,
    -(b * i - c * h) / det,
    (b * f - c * e) / det,
    B / det,
    (a * i - c * g) / det,
    -(a * f - c * d) / det,
    C / det,
    -(a * h - b * g) / det,
    (a * e - b * d) / det,
  ];
}

/** The 3×3 RGB matrix that rotates hue by `turns` of a full turn and scales saturation by `sat`. */
export function hueSaturationMatrix(turns: number, sat: number): number[] {
  const cos = sat * Math.cos(2 * Math.PI * turns);
  const sin = sat * Math.sin(2 * Math.PI * turns);
  // inner = diag(1, R(θ)·sat) · RGB_TO_YIQ
  const y = RGB_TO_YIQ;
  const inner = [
    y[0],
    y[1],
    y[2],
    cos * y[3] - sin * y[6],
    cos * y[4] - sin * y[7],
    cos * y[5] - sin * y[8],
    sin * y[3] + cos * y[6],
    sin * y[4] + cos * y[7],
    sin * y[5] + cos * y[8],
  ];
  const out = new Array<number>(9).fill(0);
  for (let r = 0; r < 3; r++)
    for (let c = 0; c < 3; c++)
      for (let k = 0; k < 3; k++) out[r * 3 + c] += YIQ_TO_RGB[r * 3 + k] * inner[k * 3 + c];
  return out;
}

function checkRange(name: string, range: readonly [number, number], min: number): void {
  if (
    range.length !== 2 ||
    !Number.isFinite(range[0]) ||
    !Number.isFinite(range[1]) ||
    range[0] < min ||
    range[1] < range[0]
  )
    throw new RangeError(`cropColourAugment: ${name} must be [lo, hi] with ${min} ≤ lo ≤ hi, got [${range}]`);
}

/**
 * Random-resized crop with a horizontal flip, then a hue rotation, saturation change and optional
 * greyscale, for NHWC float32 RGB batches in [0, 1]: the augmentation of contrastive and modern
 * supervised pre-training, sized for small images whose rendition style (palette, shading) changes
 * between training and test.
 *
 * Draw order, per image in batch order (all eight are drawn whatever the options, so changing a
 * probability or range never shifts the stream):
 *   1. `u` — flipped iff `u < flipProb`;
 *   2. area fraction `s = lo + (hi − lo)·u` (`scale`);
 *   3. aspect ratio `r = exp(log lo + (log hi − log lo)·u)` (`ratio`);
 *   4. `ux`, 5. `uy` — the crop box is `w = size·√(s·r)`, `h = size·√(s/r)` wide and high, at
 *      `x0 = (size − w)·ux`, `y0 = (size − h)·uy` (a box larger than the image is placed around it);
 *   6. hue rotation `hue·(2u − 1)` turns;
 *   7. saturation factor `lo + (hi − lo)·u` (`saturation`);
 *   8. `u` — greyscale (saturation 0) iff `u < grayscaleProb`.
 * Output pixel (y, x) samples the (flipped) source bilinearly at
 * `(y0 + (y + ½)·h/size − ½, x0 + (x + ½)·w/size − ½)`; neighbours outside the image read `fill`.
 * The colour change maps each pixel through one 3×3 matrix (YIQ: luma kept, chroma rotated and
 * scaled), then clamps to [0, 1] (skipped when the colour is unchanged); greys are unchanged. The input is left untouched.
 */
export function cropColourAugment(
  src: Float32Array,
  n: number,
  size: number,
  rng: Mt19937,
  options: CropColourOptions = {},
): Float32Array {
  const {
    flipProb = 0.5,
    scale = [0.35, 1],
    ratio = [3 / 4, 4 / 3],
    hue = 0,
    saturation = [1, 1],
    grayscaleProb = 0,
    fill = 1,
  } = options;
  const channels = 3;
  for (const [name, value] of [
    ['n', n],
    ['size', size],
  ] as const) {
    if (!Number.isInteger(value) || value <= 0)
      throw new RangeError(`cropColourAugment: ${name} must be a positive integer, got ${String(value)}`);
  }
  for (const [name, p] of [
    ['flipProb', flipProb],
    ['grayscaleProb', grayscaleProb],
  ] as const) {
    if (!(p >= 0 && p <= 1))
      throw new RangeError(`cropColourAugment: ${name} must be in [0, 1], got ${String(p)}`);
  }
  checkRange('scale', scale, Number.MIN_VALUE);
  checkRange('ratio', ratio, Number.MIN_VALUE);
  checkRange('saturation', saturation, 0);
  if (!(hue >= 0 && hue <= 0.5))
    throw new RangeError(`cropColourAugment: hue must be in [0, 0.5], got ${String(hue)}`);
  if (!Number.isFinite(fill))
    throw new RangeError(`cropColourAugment: fill must be finite, got ${String(fill)}`);
  const imageLength = size * size * channels;
  if (src.length !== n * imageLength) {
    throw new RangeError(
      `cropColourAugment: src has ${src.length} values, expected n·size·size·3 = ${n * imageLength}`,
    );
  }

  const logRatioLo = Math.log(ratio[0]);
  const logRatioHi = Math.log(ratio[1]);
  const out = new Float32Array(src.length);
  const px = new Float64Array(channels);
  for (let i = 0; i < n; i++) {
    const flip = rng.randomSample() < flipProb;
    const s = scale[0] + (scale[1] - scale[0]) * rng.randomSample();
    const r = Math.exp(logRatioLo + (logRatioHi - logRatioLo) * rng.randomSample());
    const w = size * Math.sqrt(s * r);
    const h = size * Math.sqrt(s / r);
    const x0 = (size - w) * rng.randomSample();
    const y0 = (size - h) * rng.randomSample();
    const turns = hue * (2 * rng.randomSample() - 1);
    const satDraw = saturation[0] + (saturation[1] - saturation[0]) * rng.randomSample();
    const grey = rng.randomSample() < grayscaleProb;
    const m = hueSaturationMatrix(turns, grey ? 0 : satDraw);
    const identity = turns === 0 && !grey && satDraw === 1;

    const base = i * imageLength;
    const read = (sy: number, sx: number, c: number): number =>
      sy < 0 || sy >= size || sx < 0 || sx >= size
        ? fill
        : src[base + (sy * size + (flip ? size - 1 - sx : sx)) * channels + c];
    for (let y = 0; y < size; y++) {
      const fy = y0 + ((y + 0.5) * h) / size - 0.5;
      const ya = Math.floor(fy);
      const ty = fy - ya;
      for (let x = 0; x < size; x++) {
        const fx = x0 + ((x + 0.5) * w) / size - 0.5;
        const xa = Math.floor(fx);
        const tx = fx - xa;
        for (let c = 0; c < channels; c++) {
          const top = read(ya, xa, c) * (1 - tx) + read(ya, xa + 1, c) * tx;
          const bottom = read(ya + 1, xa, c) * (1 - tx) + read(ya + 1, xa + 1, c) * tx;
          px[c] = top * (1 - ty) + bottom * ty;
        }
        const o = base + (y * size + x) * channels;
        for (let c = 0; c < channels; c++) {
          out[o + c] = identity
            ? px[c]
            : Math.min(1, Math.max(0, m[c * 3] * px[0] + m[c * 3 + 1] * px[1] + m[c * 3 + 2] * px[2]));
        }
      }
    }
  }
  return out;
}
