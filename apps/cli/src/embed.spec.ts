import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { IMAGENET_MEAN, IMAGENET_STD, Mt19937 } from '@slca/data';
import { backboneLayout, loadBackbone, randomBackbone, saveBackbone } from '@slca/engine';
import { initBackend, patchify, tensorsFrom, vitFeatures, type VitArch } from '@slca/compute';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../test/run-cli';

const ARCH: VitArch = { imageSize: 8, patchSize: 4, dim: 8, depth: 1, heads: 2, mlpDim: 16 };
const dir = mkdtempSync(join(tmpdir(), 'slca-embed-'));
const images = join(dir, 'images');
const backbone = join(dir, 'tiny.safetensors');
const pixels = [0, 1].map((k) => Uint8Array.from({ length: 8 * 8 * 3 }, (_, i) => (i * 37 + k * 101) % 256));

beforeAll(async () => {
  mkdirSync(images);
  // written out of name order: the output must be sorted by file name
  await sharp(Buffer.from(pixels[1]), { raw: { width: 8, height: 8, channels: 3 } })
    .png()
    .toFile(join(images, 'b.png'));
  await sharp(Buffer.from(pixels[0]), { raw: { width: 8, height: 8, channels: 3 } })
    .png()
    .toFile(join(images, 'a.png'));
  await sharp({ create: { width: 16, height: 16, channels: 3, background: '#fff' } })
    .png()
    .toFile(join(dir, 'big.png'));
  await saveBackbone(backbone, randomBackbone(ARCH, new Mt19937(4)), ARCH);
  await initBackend('wasm');
});

describe('slca embed', () => {
  it('writes the CLS features of each PNG, in file-name order, equal to the engine forward pass', async () => {
    const out = join(dir, 'features.json');
    const r = runCli([
      'embed',
      '--backbone',
      backbone,
      '--arch',
      JSON.stringify(ARCH),
      '--images',
      images,
      '--preprocess',
      'none',
      '--out',
      out,
      '--backend',
      'wasm',
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const json = JSON.parse(readFileSync(out, 'utf8')) as { files: string[]; features: number[][] };
    expect(json.files).toEqual(['a.png', 'b.png']);
    // expected: pixels/255, ImageNet-normalised, through the engine's (NumPy-checked) forward pass
    const x = new Float32Array(2 * 8 * 8 * 3);
    pixels.forEach((p, k) =>
      p.forEach((v, i) => (x[k * 192 + i] = (v / 255 - IMAGENET_MEAN[i % 3]) / IMAGENET_STD[i % 3])),
    );
    const { values } = await loadBackbone(backbone, ARCH);
    const params = tensorsFrom(backboneLayout(ARCH), values);
    const expected = vitFeatures(params, tf.tensor3d(patchify(x, 2, ARCH), [2, 4, 48]), ARCH, {
      finalNormEps: 1e-6,
    }).arraySync();
    json.features.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(expected[i][j], 5)));
  });

  it('refuses an image of the wrong size with --preprocess none, naming the file', () => {
    const r = runCli([
      'embed',
      '--backbone',
      backbone,
      '--arch',
      JSON.stringify(ARCH),
      '--images',
      dir,
      '--out',
      join(dir, 'x.json'),
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('big.png: image is 16×16, the architecture needs 8×8');
  });

  it('refuses a backbone that does not match the architecture, naming the tensor', () => {
    const r = runCli([
      'embed',
      '--backbone',
      backbone,
      '--arch',
      JSON.stringify({ ...ARCH, depth: 2 }),
      '--images',
      images,
      '--out',
      join(dir, 'y.json'),
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("missing tensor 'blocks.1.norm1.weight'");
  });

  it('refuses a malformed architecture, naming the field', () => {
    const r = runCli([
      'embed',
      '--backbone',
      backbone,
      '--arch',
      '{"imageSize":8}',
      '--images',
      images,
      '--out',
      join(dir, 'z.json'),
    ]);
    expect(r.stderr).toContain('architecture.patchSize must be a positive integer');
  });
});
