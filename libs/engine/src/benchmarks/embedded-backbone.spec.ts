import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { paramCount } from '../vit/arch';
import {
  EMBEDDED_ARCH,
  EMBEDDED_BACKBONE_FILE,
  EMBEDDED_RECIPE_FILE,
  embeddedBackbonePath,
  embeddedRecordPath,
  loadEmbeddedBackbone,
} from './embedded';

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
