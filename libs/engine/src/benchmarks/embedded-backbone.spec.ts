import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSplitEmojiManifest } from '@slca/data';
import { afterEach, describe, expect, it } from 'vitest';
import { initBackend, paramCount } from '@slca/compute';
import { probeBackbone, probeRawPixels } from '../pretrain/probe';
import {
  EMBEDDED_ARCH,
  EMBEDDED_BACKBONE_FILE,
  EMBEDDED_RECIPE_FILE,
  embeddedBackbonePath,
  embeddedRecordPath,
  IMAGENET_NORMALIZE,
  loadEmbeddedBackbone,
} from './embedded';
import { loadManifestData } from './manifest-data';

describe('the shipped embedded backbone', () => {
  afterEach(() => {
    delete process.env['SLCA_ASSETS_DIR'];
  });

  it('loads, matching its recorded digest and architecture', async () => {
    const { values, record } = await loadEmbeddedBackbone();
    expect(values).toHaveLength(paramCount(EMBEDDED_ARCH));
    expect(record.arch).toEqual(EMBEDDED_ARCH);
    expect(record.probe.ncmPretrained).toBeGreaterThan(record.probe.ncmRandomInit + 10);
  });

  it('beats raw pixels on Split Emoji, recomputed from the checkpoint (NCM of frozen features)', async () => {
    await initBackend('wasm'); // as `pretrain` measured it
    const { values, record } = await loadEmbeddedBackbone();
    const data = await loadManifestData(loadSplitEmojiManifest(), EMBEDDED_ARCH.imageSize);
    const pretrained = await probeBackbone(values, EMBEDDED_ARCH, data, IMAGENET_NORMALIZE);
    const rawPixels = probeRawPixels(data, IMAGENET_NORMALIZE);
    // the record holds what `pretrain` measured; the same wasm forward gives the same features
    expect(pretrained).toBeCloseTo(record.probe.ncmPretrained, 6);
    expect(rawPixels).toBeCloseTo(record.probe.ncmRawPixels, 6);
    expect(pretrained).toBeGreaterThan(rawPixels);
  });

  it('is refused when the file does not match the digest in its record', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slca-assets-'));
    copyFileSync(embeddedBackbonePath(), join(dir, EMBEDDED_BACKBONE_FILE));
    const record = JSON.parse(readFileSync(embeddedRecordPath(), 'utf8'));
    writeFileSync(join(dir, EMBEDDED_RECIPE_FILE), JSON.stringify({ ...record, sha256: '0'.repeat(64) }));
    process.env['SLCA_ASSETS_DIR'] = dir;
    await expect(loadEmbeddedBackbone()).rejects.toThrow(`does not match ${'0'.repeat(64)}`);
  });

  it('says how to recreate it when it is missing', async () => {
    process.env['SLCA_ASSETS_DIR'] = mkdtempSync(join(tmpdir(), 'slca-assets-'));
    await expect(loadEmbeddedBackbone()).rejects.toThrow(
      'recreate it with: npm run slca -- pretrain --install',
    );
  });
});
