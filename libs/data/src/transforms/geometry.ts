import type { Mt19937 } from '../random/mt19937';
import { TransformError } from './image';

/** A crop rectangle: top-left corner (`top`, `left`) and size, in pixels. */
export interface CropBox {
  top: number;
  left: number;
  height: number;
  width: number;
}

/** Python 3's `round`: halves go to the even neighbour (torchvision's crop arithmetic relies on it). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * torchvision `Resize(size)` with an int: the shorter side becomes `size`, the longer one
 * `int(size · long / short)` (truncated), so the aspect ratio is kept.
 */
export function resizeShorterSize(
  width: number,
  height: number,
  size: number,
): { width: number; height: number } {
  if (width <= height) return { width: size, height: Math.trunc((size * height) / width) };
  return { width: Math.trunc((size * width) / height), height: size };
}

/** torchvision `CenterCrop(size)`: offsets `int(round((H − size) / 2))`, `int(round((W − size) / 2))`. */
export function centerCropBox(width: number, height: number, size: number): CropBox {
  if (size > width || size > height)
    throw new TransformError(`center crop ${size} does not fit a ${width}×${height} image`);
  return {
    top: roundHalfEven((height - size) / 2),
    left: roundHalfEven((width - size) / 2),
    height: size,
    width: size,
  };
}

/**
 * torchvision `RandomCrop(size)` (no padding): `top` uniform in 0..H−size, then `left` uniform in
 * 0..W−size. Draws: `rng.randomInterval(H − size)` then `rng.randomInterval(W − size)` (none when the
 * image is exactly `size`, as torchvision returns (0, 0) without drawing).
 */
export function randomCropBox(width: number, height: number, size: number, rng: Mt19937): CropBox {
  if (size > width || size > height)
    throw new TransformError(`random crop ${size} does not fit a ${width}×${height} image`);
  if (width === size && height === size) return { top: 0, left: 0, height: size, width: size };
  const top = rng.randomInterval(height - size);
  const left = rng.randomInterval(width - size);
  return { top, left, height: size, width: size };
}

/**
 * torchvision `RandomResizedCrop.get_params`: up to 10 attempts of an area fraction uniform in `scale`
 * and a log-uniform aspect ratio in `ratio`; w = round(√(area·r)), h = round(√(area/r)); the first
 * that fits gets a uniform position. Otherwise the whole image, clamped to the ratio range, centred.
 * Draws per attempt: `randomSample()` (area), `randomSample()` (log ratio), then on success
 * `randomInterval(H − h)` (top) and `randomInterval(W − w)` (left).
 */
export function randomResizedCropBox(
  width: number,
  height: number,
  scale: readonly [number, number],
  ratio: readonly [number, number],
  rng: Mt19937,
): CropBox {
  if (!(scale[0] > 0 && scale[0] <= scale[1] && scale[1] <= 1))
    throw new TransformError(
      `RandomResizedCrop scale must satisfy 0 < lo ≤ hi ≤ 1, got [${scale.join(', ')}]`,
    );
  if (!(ratio[0] > 0 && ratio[0] <= ratio[1]))
    throw new TransformError(`RandomResizedCrop ratio must satisfy 0 < lo ≤ hi, got [${ratio.join(', ')}]`);
  const area = width * height;
  const logLo = Math.log(ratio[0]);
  const logHi = Math.log(ratio[1]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * (scale[0] + (scale[1] - scale[0]) * rng.randomSample());
    const aspect = Math.exp(logLo + (logHi - logLo) * rng.randomSample());
    const w = roundHalfEven(Math.sqrt(targetArea * aspect));
    const h = roundHalfEven(Math.sqrt(targetArea / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const top = rng.randomInterval(height - h);
      const left = rng.randomInterval(width - w);
      return { top, left, height: h, width: w };
    }
  }
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < ratio[0]) h = roundHalfEven(w / ratio[0]);
  else if (inRatio > ratio[1]) w = roundHalfEven(h * ratio[1]);
  return { top: Math.trunc((height - h) / 2), left: Math.trunc((width - w) / 2), height: h, width: w };
}
