import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';

/** Where Debian's `openclipart-png` package (public domain clip art, ~8,100 PNGs) installs its images. */
export const DEBIAN_OPENCLIPART_DIR = '/usr/share/openclipart/png';

export interface ClipartImages {
  /** NHWC, RGB, values in [0, 1], one size×size image per readable file. */
  data: Float32Array;
  count: number;
  size: number;
  /** Readable files, relative to the folder, in sorted order (the order of `data`). */
  files: string[];
  /** Files that could not be decoded, relative to the folder, with the reason; they are skipped. */
  unreadable: { file: string; reason: string }[];
  /** sha256 of the decoded pixels (float32, little-endian): two folders that decode alike agree. */
  sha256: string;
}

/** A clip-art folder that cannot be used at all (missing, not a folder, no PNG in it). */
export class ClipartFolderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClipartFolderError';
  }
}

/**
 * Every `.png` under `dir` (recursively, sorted by relative path), composited onto white and scaled to fit
 * a size×size white square without distortion (clip art is rarely square; an emoji is drawn the same way
 * in its square), RGB in [0, 1]. Unlabelled images for self-supervised pre-training: a file that does not
 * decode — corrupt, or larger than `maxInputPixels` (default 100 megapixels, which bounds the decoder's
 * memory; Debian's package has 16 such posters) — is skipped and listed in `unreadable` with the reason
 * rather than failing the whole folder; a folder with no readable PNG is an error.
 */
export async function decodeClipartFolder(
  dir: string,
  size: number,
  options: { concurrency?: number; maxInputPixels?: number } = {},
): Promise<ClipartImages> {
  if (!Number.isInteger(size) || size <= 0)
    throw new RangeError(`decodeClipartFolder: size must be a positive integer, got ${String(size)}`);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir)
    throw new ClipartFolderError(
      `clip-art folder ${dir} does not exist or is not a folder (Debian/Ubuntu: apt-get install openclipart-png puts ~8,100 PNGs in ${DEBIAN_OPENCLIPART_DIR})`,
    );
  const files = (readdirSync(dir, { recursive: true, encoding: 'utf8' }) as string[])
    .filter((f) => f.toLowerCase().endsWith('.png'))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (files.length === 0) throw new ClipartFolderError(`clip-art folder ${dir} holds no .png file`);

  const per = size * size * 3;
  const decoded: (Float32Array | undefined)[] = new Array(files.length);
  const reasons: (string | undefined)[] = new Array(files.length);
  const limit = options.concurrency ?? Math.min(8, availableParallelism());
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const index = next++;
      try {
        const { data, info } = await sharp(join(dir, files[index]), {
          limitInputPixels: options.maxInputPixels ?? 1e8,
        })
          .flatten({ background: { r: 255, g: 255, b: 255 } })
          .resize(size, size, { fit: 'contain', background: { r: 255, g: 255, b: 255 }, kernel: 'cubic' })
          .toColourspace('srgb')
          .removeAlpha()
          .raw()
          .toBuffer({ resolveWithObject: true });
        if (info.width !== size || info.height !== size || info.channels !== 3)
          throw new Error(`decoded to ${info.width}×${info.height}×${info.channels}`);
        const img = new Float32Array(per);
        for (let i = 0; i < per; i++) img[i] = data[i] / 255;
        decoded[index] = img;
      } catch (error) {
        reasons[index] = error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, files.length) }, worker));

  const readable: string[] = [];
  const unreadable: { file: string; reason: string }[] = [];
  files.forEach((f, i) =>
    decoded[i] ? readable.push(f) : unreadable.push({ file: f, reason: reasons[i] ?? 'unknown' }),
  );
  if (readable.length === 0)
    throw new ClipartFolderError(
      `clip-art folder ${dir}: none of its ${files.length} .png files decodes (first: ${unreadable[0].file}: ${unreadable[0].reason})`,
    );
  const data = new Float32Array(readable.length * per);
  let at = 0;
  for (const img of decoded) {
    if (!img) continue;
    data.set(img, at);
    at += per;
  }
  const sha256 = createHash('sha256')
    .update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
    .digest('hex');
  return { data, count: readable.length, size, files: readable, unreadable, sha256 };
}
