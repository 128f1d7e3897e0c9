import type { CropBox } from './geometry';
import { rgbImage, TransformError, type RgbImage } from './image';

export function crop(image: RgbImage, box: CropBox): RgbImage {
  const { top, left, height, width } = box;
  if (top < 0 || left < 0 || top + height > image.height || left + width > image.width)
    throw new TransformError(
      `crop ${width}×${height} at (${left}, ${top}) leaves the ${image.width}×${image.height} image`,
    );
  const out = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const src = ((top + y) * image.width + left) * 3;
    out.set(image.data.subarray(src, src + width * 3), y * width * 3);
  }
  return rgbImage(width, height, out);
}

export function hflip(image: RgbImage): RgbImage {
  const { width, height, data } = image;
  const out = new Float32Array(data.length);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const src = (y * width + (width - 1 - x)) * 3;
      const dst = (y * width + x) * 3;
      out[dst] = data[src];
      out[dst + 1] = data[src + 1];
      out[dst + 2] = data[src + 2];
    }
  return rgbImage(width, height, out);
}

/**
 * torchvision `adjust_brightness`: a blend with black, `clamp(factor · x, 0, 1)`. (On a PIL image the
 * result is also rounded to 8 bits; here it stays float.)
 */
export function adjustBrightness(image: RgbImage, factor: number): RgbImage {
  if (!(factor >= 0) || !Number.isFinite(factor))
    throw new TransformError(`brightness factor must be a finite number ≥ 0, got ${factor}`);
  return rgbImage(
    image.width,
    image.height,
    image.data.map((v) => Math.min(1, Math.max(0, v * factor))),
  );
}

/** `(x − mean[c]) / std[c]` per channel, into a new image. */
export function normalizeImage(
  image: RgbImage,
  mean: readonly [number, number, number],
  std: readonly [number, number, number],
): RgbImage {
  std.forEach((s, c) => {
    if (!(s > 0) || !Number.isFinite(s))
      throw new TransformError(`normalise: std[${c}] must be positive and finite, got ${s}`);
  });
  const out = new Float32Array(image.data.length);
  for (let i = 0; i < out.length; i += 3)
    for (let c = 0; c < 3; c++) out[i + c] = (image.data[i + c] - mean[c]) / std[c];
  return rgbImage(image.width, image.height, out);
}
