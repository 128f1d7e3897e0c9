import { availableParallelism } from 'node:os';
import sharp from 'sharp';

/** Per-channel statistics the ImageNet-pretrained backbones expect (docs/method.md §5.3). */
export const IMAGENET_MEAN: readonly [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: readonly [number, number, number] = [0.229, 0.224, 0.225];
/** CIFAR-100 training-set statistics used by the reference code (docs/method.md §5.3). */
export const CIFAR100_MEAN: readonly [number, number, number] = [0.5071, 0.4867, 0.4408];
export const CIFAR100_STD: readonly [number, number, number] = [0.2675, 0.2565, 0.2761];

export interface DecodeImagesOptions {
  /** Output side length; every image is resized to size×size. */
  size: number;
  /** sRGB 0–255 colour that transparent pixels are composited onto; default white, like an emoji on a page. */
  background?: readonly [number, number, number];
  /** Images decoded at once; default min(8, CPU count). */
  concurrency?: number;
}

export interface DecodedImages {
  /** NHWC, RGB, values in [0, 1]. */
  data: Float32Array;
  count: number;
  size: number;
}

/** An image that could not be decoded; the message names the file and what went wrong. */
export class ImageDecodeError extends Error {
  constructor(
    readonly file: string,
    cause: unknown,
  ) {
    super(`cannot decode image ${file}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = 'ImageDecodeError';
  }
}

/** An image already in memory (e.g. read from the object store); `name` is what errors call it. */
export interface ImageBytes {
  name: string;
  bytes: Uint8Array;
}

/**
 * Runs `decodeOne` over the inputs, `concurrency` at a time (default min(8, CPU count); sharp works on
 * libuv's threads), each with its index and the path or a Buffer view of its bytes. The first failure
 * stops the rest and becomes an {@link ImageDecodeError} naming that input.
 */
export async function decodeEach(
  inputs: readonly (string | ImageBytes)[],
  concurrency: number | undefined,
  decodeOne: (input: string | Buffer, index: number) => Promise<void>,
): Promise<void> {
  const limit = concurrency ?? Math.min(8, availableParallelism());
  if (!Number.isInteger(limit) || limit <= 0)
    throw new RangeError(`decode: concurrency must be a positive integer, got ${String(limit)}`);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < inputs.length) {
      const index = next++;
      const source = inputs[index];
      try {
        await decodeOne(
          typeof source === 'string'
            ? source
            : Buffer.from(source.bytes.buffer, source.bytes.byteOffset, source.bytes.byteLength),
          index,
        );
      } catch (error) {
        failed = true;
        throw new ImageDecodeError(typeof source === 'string' ? source : source.name, error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, inputs.length) }, worker));
}

/**
 * Decodes images into one NHWC float32 batch: alpha flattened onto `background`, then a bicubic
 * resize to size×size ignoring aspect ratio (all our sources are square; stretching beats cropping
 * a glyph), then RGB scaled to [0, 1]. Output order follows `paths`; a source is a file path or the bytes of
 * a file (decoded identically).
 */
export async function decodeImages(
  paths: readonly (string | ImageBytes)[],
  options: DecodeImagesOptions,
): Promise<DecodedImages> {
  const { size } = options;
  if (!Number.isInteger(size) || size <= 0)
    throw new RangeError(`decodeImages: size must be a positive integer, got ${String(size)}`);
  const background = options.background ?? [255, 255, 255];
  if (background.length !== 3 || background.some((v) => !Number.isInteger(v) || v < 0 || v > 255)) {
    throw new RangeError(
      `decodeImages: background must be three integers in 0..255, got [${background.join(', ')}]`,
    );
  }
  const concurrency = options.concurrency ?? Math.min(8, availableParallelism());
  if (!Number.isInteger(concurrency) || concurrency <= 0) {
    throw new RangeError(`decodeImages: concurrency must be a positive integer, got ${String(concurrency)}`);
  }

  const pixelsPerImage = size * size * 3;
  const data = new Float32Array(paths.length * pixelsPerImage);
  const [r, g, b] = background;
  await decodeEach(paths, concurrency, async (input, index) => {
    const { data: raw, info } = await sharp(input)
      .flatten({ background: { r, g, b } })
      .resize(size, size, { kernel: 'cubic', fit: 'fill' })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.width !== size || info.height !== size || info.channels !== 3) {
      throw new Error(`decoded to ${info.width}×${info.height}×${info.channels}, expected ${size}×${size}×3`);
    }
    const offset = index * pixelsPerImage;
    for (let i = 0; i < pixelsPerImage; i++) data[offset + i] = raw[i] / 255;
  });
  return { data, count: paths.length, size };
}

/** (x − mean[c]) / std[c] over an interleaved (NHWC) buffer whose channel count is `mean.length`. */
export function normalizeInPlace(
  data: Float32Array,
  mean: readonly number[],
  std: readonly number[],
): Float32Array {
  const channels = mean.length;
  if (channels === 0 || std.length !== channels) {
    throw new RangeError(
      `normalizeInPlace: mean and std must have the same non-zero length, got ${mean.length} and ${std.length}`,
    );
  }
  if (data.length % channels !== 0) {
    throw new RangeError(
      `normalizeInPlace: data length ${data.length} is not a multiple of ${channels} channels`,
    );
  }
  std.forEach((s, c) => {
    if (!(s > 0) || !Number.isFinite(s))
      throw new RangeError(`normalizeInPlace: std[${c}] must be positive and finite, got ${s}`);
  });
  const inverse = std.map((s) => 1 / s);
  for (let i = 0; i < data.length; i += channels) {
    for (let c = 0; c < channels; c++) data[i + c] = (data[i + c] - mean[c]) * inverse[c];
  }
  return data;
}
