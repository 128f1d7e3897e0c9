import { rgbImage, TransformError, type RgbImage } from './image';

/** The bicubic kernel PIL and libvips use (Keys, a = −0.5). */
function bicubic(x: number): number {
  const a = -0.5;
  const t = Math.abs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}

/**
 * Normalised tap weights for resampling `inSize` pixels to `outSize`, as PIL's `ImagingResample`
 * computes them: pixel centres aligned, and when shrinking the kernel is stretched by the scale factor
 * (antialiasing), so every input pixel contributes.
 */
function taps(
  inSize: number,
  outSize: number,
): { first: Int32Array; count: Int32Array; weights: Float64Array[] } {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 2 * filterScale;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights: Float64Array[] = [];
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), inSize);
    const w = new Float64Array(hi - lo);
    let sum = 0;
    for (let x = lo; x < hi; x++) {
      const k = bicubic((x - center + 0.5) / filterScale);
      w[x - lo] = k;
      sum += k;
    }
    if (sum !== 0) for (let k = 0; k < w.length; k++) w[k] /= sum;
    first[i] = lo;
    count[i] = hi - lo;
    weights.push(w);
  }
  return { first, count, weights };
}

/**
 * Bicubic resize to width×height (aspect ratio not kept), separable: rows first, then columns, in
 * float64 without intermediate rounding. Matches PIL's `resize(…, BICUBIC)` up to PIL's 8-bit
 * rounding; output values may over/undershoot [0, 1] slightly at edges, as bicubic does, and are clamped.
 */
export function resizeBicubic(image: RgbImage, width: number, height: number): RgbImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0)
    throw new TransformError(`resize target must be positive integers, got ${width}×${height}`);
  const { width: w0, height: h0, data } = image;
  const horizontal = taps(w0, width);
  const rows = new Float64Array(h0 * width * 3);
  for (let y = 0; y < h0; y++)
    for (let x = 0; x < width; x++) {
      const lo = horizontal.first[x];
      const wts = horizontal.weights[x];
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = 0; k < horizontal.count[x]; k++) {
        const src = (y * w0 + lo + k) * 3;
        r += wts[k] * data[src];
        g += wts[k] * data[src + 1];
        b += wts[k] * data[src + 2];
      }
      const dst = (y * width + x) * 3;
      rows[dst] = r;
      rows[dst + 1] = g;
      rows[dst + 2] = b;
    }
  const vertical = taps(h0, height);
  const out = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const lo = vertical.first[y];
    const wts = vertical.weights[y];
    for (let x = 0; x < width; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = 0; k < vertical.count[y]; k++) {
        const src = ((lo + k) * width + x) * 3;
        r += wts[k] * rows[src];
        g += wts[k] * rows[src + 1];
        b += wts[k] * rows[src + 2];
      }
      const dst = (y * width + x) * 3;
      out[dst] = Math.min(1, Math.max(0, r));
      out[dst + 1] = Math.min(1, Math.max(0, g));
      out[dst + 2] = Math.min(1, Math.max(0, b));
    }
  }
  return rgbImage(width, height, out);
}
