import sharp from 'sharp';
import { decodeEach, type DecodedImages, type ImageBytes } from '../images';
import { centerCropBox, resizeShorterSize } from './geometry';
import { rgbImage, TransformError, type RgbImage } from './image';
import { crop as cropImage } from './ops';
import { resizeBicubic } from './resize';

export interface EvalDecodeOptions {
  /** Shorter side after the resize (torchvision `Resize(resize)`, bicubic). */
  resize: number;
  /** Side of the centre crop (torchvision `CenterCrop(crop)`); the output images are crop×crop. */
  crop: number;
  /** Images decoded at once; default min(8, CPU count). */
  concurrency?: number;
}

/**
 * The test transform of docs/method.md §5.2 (Resize 256 → CenterCrop 224, or a scaled pair): decode with
 * sharp, drop alpha (as PIL's `convert('RGB')`), bicubic resize of the shorter side to `resize` (libvips when
 * shrinking, {@link resizeBicubic} when enlarging), centre crop `crop`, rounded to 8 bits as PIL does,
 * RGB scaled to [0, 1], NHWC float32 in input order. The sizes and crop offsets follow
 * torchvision exactly ({@link resizeShorterSize}, {@link centerCropBox}).
 */
export async function decodeResizeCenterCrop(
  inputs: readonly (string | ImageBytes)[],
  options: EvalDecodeOptions,
): Promise<DecodedImages> {
  const { resize, crop } = options;
  if (!Number.isInteger(resize) || !Number.isInteger(crop) || crop <= 0 || resize < crop)
    throw new TransformError(`resize ${resize} → centre crop ${crop}: need integers with resize ≥ crop > 0`);
  const per = crop * crop * 3;
  const data = new Float32Array(inputs.length * per);
  await decodeEach(inputs, options.concurrency, async (input, index) => {
    const decoded = await sharp(input)
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    const { width, height, channels } = decoded.info;
    if (channels !== 3) throw new Error(`decoded to ${channels} channels, expected 3`);
    const size = resizeShorterSize(width, height, resize);
    const box = centerCropBox(size.width, size.height, crop);
    let raw: Uint8Array | Float32Array;
    if (size.width <= width && size.height <= height) {
      // Shrinking: libvips' cubic reduce matches PIL's antialiased bicubic (within 2/255) and is fast.
      raw = await sharp(decoded.data, { raw: { width, height, channels: 3 } })
        .resize(size.width, size.height, { kernel: 'cubic', fit: 'fill' })
        .extract(box)
        .raw()
        .toBuffer();
    } else {
      // Enlarging (e.g. CIFAR 32 → 256): libvips aligns pixel centres differently from PIL, so resize here.
      const values = new Float32Array(decoded.data.length);
      for (let i = 0; i < values.length; i++) values[i] = decoded.data[i] / 255;
      const cropped = cropImage(resizeBicubic(rgbImage(width, height, values), size.width, size.height), box);
      raw = new Float32Array(cropped.data.length);
      for (let i = 0; i < raw.length; i++) raw[i] = Math.round(cropped.data[i] * 255);
    }
    for (let i = 0; i < per; i++) data[index * per + i] = raw[i] / 255;
  });
  return { data, count: inputs.length, size: crop };
}

/**
 * Decodes images at their own size for a training pipeline: sharp, alpha dropped (as PIL's
 * `convert('RGB')`), sRGB, values scaled to [0, 1]. Output order follows `inputs`; a file that does not
 * decode is an {@link ImageDecodeError} naming it.
 */
export async function decodeSourceImages(
  inputs: readonly (string | ImageBytes)[],
  options: { concurrency?: number } = {},
): Promise<RgbImage[]> {
  const out: RgbImage[] = new Array<RgbImage>(inputs.length);
  await decodeEach(inputs, options.concurrency, async (input, index) => {
    const { data, info } = await sharp(input)
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
    // A plain loop: Float32Array.from with a map function is ~10× slower on half a million bytes.
    const values = new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) values[i] = data[i] / 255;
    out[index] = rgbImage(info.width, info.height, values);
  });
  return out;
}
