/** One RGB image in memory: HWC, interleaved R, G, B, values in [0, 1]. */
export interface RgbImage {
  width: number;
  height: number;
  data: Float32Array;
}

export class TransformError extends Error {
  override name = 'TransformError';
}

export function rgbImage(width: number, height: number, data?: Float32Array): RgbImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0)
    throw new TransformError(`image size must be positive integers, got ${width}×${height}`);
  const values = data ?? new Float32Array(width * height * 3);
  if (values.length !== width * height * 3)
    throw new TransformError(
      `image ${width}×${height} needs ${width * height * 3} values, got ${values.length}`,
    );
  return { width, height, data: values };
}
