import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import sharp, { type OutputInfo } from 'sharp';
import { decodeImages, IMAGENET_MEAN, IMAGENET_STD, normalizeInPlace } from '@slca/data';
import { backboneLayout, loadBackbone } from '@slca/engine';
import { initBackend, LocalDevice, parseArch, patchify, type VitArch } from '@slca/compute';
import { checkWritable, UsageError, writeJson } from '../io';

export interface EmbedFlags {
  backbone: string;
  arch: string;
  images: string;
  preprocess: string;
  out: string;
  backend: string;
}

/** RGB pixels exactly as stored (alpha dropped, as PIL's convert('RGB') does); the size must already fit. */
async function decodeUnchanged(paths: string[], arch: VitArch): Promise<Float32Array> {
  const s = arch.imageSize;
  const out = new Float32Array(paths.length * s * s * 3);
  for (const [i, file] of paths.entries()) {
    let decoded: { data: Buffer; info: OutputInfo };
    try {
      decoded = await sharp(file)
        .removeAlpha()
        .toColourspace('srgb')
        .raw()
        .toBuffer({ resolveWithObject: true });
    } catch (e) {
      throw new UsageError(`${file}: cannot decode image (${(e as Error).message})`);
    }
    const { width, height, channels } = decoded.info;
    if (width !== s || height !== s) {
      throw new UsageError(
        `${file}: image is ${width}×${height}, the architecture needs ${s}×${s} (--preprocess none does not resize)`,
      );
    }
    if (channels !== 3)
      throw new UsageError(`${file}: expected 3 colour channels after conversion, got ${channels}`);
    for (let k = 0; k < s * s * 3; k++) out[i * s * s * 3 + k] = decoded.data[k] / 255;
  }
  return out;
}

/** CLS features (after the checkpoint's own final norm) of every PNG in a folder, as JSON. */
export async function embedCommand(flags: EmbedFlags): Promise<void> {
  const arch = parseArch(flags.arch);
  checkWritable(flags.out, '--out');
  if (!['none', 'resize'].includes(flags.preprocess)) {
    throw new UsageError(`--preprocess must be 'none' or 'resize', got '${flags.preprocess}'`);
  }
  let names: string[];
  try {
    if (!statSync(flags.images).isDirectory()) throw new Error('not a directory');
    names = readdirSync(flags.images)
      .filter((f) => f.toLowerCase().endsWith('.png'))
      .sort();
  } catch (e) {
    throw new UsageError(`--images ${flags.images}: ${(e as Error).message}`);
  }
  if (names.length === 0) throw new UsageError(`--images ${flags.images}: no .png files`);
  const paths = names.map((n) => join(flags.images, n));
  await initBackend(flags.backend as 'auto');
  const { values } = await loadBackbone(flags.backbone, arch);
  const pixels =
    flags.preprocess === 'none'
      ? await decodeUnchanged(paths, arch)
      : (await decodeImages(paths, { size: arch.imageSize })).data;
  normalizeInPlace(pixels, IMAGENET_MEAN, IMAGENET_STD);
  const device = new LocalDevice();
  await device.setModel(
    { arch, layout: backboneLayout(arch).toJSON(), finalNormEps: arch.normEps ?? 1e-6, trainBackbone: false },
    values,
  );
  const [features] = await device.features([
    { patches: patchify(pixels, names.length, arch), count: names.length },
  ]);
  const rows = names.map((_, i) => Array.from(features.subarray(i * arch.dim, (i + 1) * arch.dim)));
  writeJson(flags.out, { files: names, features: rows });
  process.stdout.write(`embedded ${names.length} image(s) → ${flags.out}\n`);
}
