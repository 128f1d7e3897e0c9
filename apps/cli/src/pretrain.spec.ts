import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../test/run-cli';

describe('slca pretrain (one epoch: a smoke run of the shipped recipe)', () => {
  it('writes a checkpoint with its record: digest, recipe, data and the three probe numbers', () => {
    const outDir = mkdtempSync(join(tmpdir(), 'slca-pretrain-'));
    const r = runCli(['pretrain', '--epochs', '1', '--out-dir', outDir], { timeoutMs: 900_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /NCM on Split Emoji: pre-trained \d+\.\d\d%, random init \d+\.\d\d%, raw pixels \d+\.\d\d%/,
    );
    const record = JSON.parse(readFileSync(join(outDir, 'vit-emoji-pretrained.json'), 'utf8'));
    const bytes = readFileSync(join(outDir, 'vit-emoji-pretrained.safetensors'));
    expect(record.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(record.recipe.epochs).toBe(1);
    expect(record.command).toBe('npm run slca -- pretrain --epochs 1');
    // the shipped target: the 65 sub-categories outside Split Emoji, both renditions (1,828 images)
    expect(record.data.target).toBe('subcategory');
    expect(record.data.subcategories).toBe(65);
    expect(record.data.classes).toBe(65);
    expect(record.data.images).toBe(1828);
    expect(record.backend).toBe('wasm');
    // raw pixels do not depend on training: the value measured for the README (23.62 %)
    expect(record.probe.ncmRawPixels).toBeCloseTo(23.62, 1);
    for (const k of ['ncmPretrained', 'ncmRandomInit']) {
      expect(record.probe[k]).toBeGreaterThan(0);
      expect(record.probe[k]).toBeLessThan(100);
    }
  }, 900_000);
});
