import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../test/run-cli';

let work: string;
let clipart: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'slca-pretrain-'));
  // a stand-in for Debian's openclipart-png: a few coloured shapes in sub-folders, and one broken file
  clipart = join(work, 'clipart');
  mkdirSync(join(clipart, 'shapes'), { recursive: true });
  for (let i = 0; i < 6; i++) {
    const w = 20 + 7 * i;
    const h = 30 - 2 * i;
    const pixels = Buffer.alloc(w * h * 4);
    for (let p = 0; p < w * h; p++) pixels.set([(40 * i) % 256, 200 - 30 * i, (p * 7) % 256, 255], p * 4);
    await sharp(pixels, { raw: { width: w, height: h, channels: 4 } })
      .png()
      .toFile(join(clipart, 'shapes', `s${i}.png`));
  }
  writeFileSync(join(clipart, 'broken.png'), 'not a png');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('slca pretrain (one epoch per stage: a smoke run of the shipped recipe)', () => {
  it('writes a checkpoint with its record, and reuses stage 1 when recipe and images match', () => {
    const outDir = join(work, 'out');
    const stage1 = join(work, 'stage1.safetensors');
    const args = [
      'pretrain',
      '--contrastive-epochs',
      '1',
      '--epochs',
      '1',
      '--clipart',
      clipart,
      '--stage1',
      stage1,
      '--out-dir',
      outDir,
    ];
    const r = runCli(args, { timeoutMs: 900_000 });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/clip art: skipped 1 file\(s\) that do not decode, e\.g\. broken\.png/);
    expect(r.stderr).toMatch(
      /stage 1: contrastive pre-training on 1834 unlabelled images \(1828 emoji, 6 clip art\)/,
    );
    expect(r.stdout).toMatch(
      /NCM on Split Emoji: pre-trained \d+\.\d\d%, random init \d+\.\d\d%, raw pixels \d+\.\d\d% \(after stage 1 alone \d+\.\d\d%\)/,
    );
    const record = JSON.parse(readFileSync(join(outDir, 'vit-emoji-pretrained.json'), 'utf8'));
    const bytes = readFileSync(join(outDir, 'vit-emoji-pretrained.safetensors'));
    expect(record.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(record.recipe.epochs).toBe(1);
    expect(record.contrastive.recipe.epochs).toBe(1);
    expect(record.contrastive.data.images).toBe(1834);
    expect(record.contrastive.data.clipart.images).toBe(6);
    expect(record.contrastive.data.clipart.unreadable).toEqual(['broken.png']);
    expect(record.contrastive.data.clipart.pixelsSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(record.command).toBe(
      `npm run slca -- pretrain --contrastive-epochs 1 --epochs 1 --clipart ${clipart}`,
    );
    // the shipped supervised target: the 65 sub-categories outside Split Emoji, both renditions (1,828 images)
    expect(record.data.target).toBe('subcategory');
    expect(record.data.subcategories).toBe(65);
    expect(record.data.classes).toBe(65);
    expect(record.data.images).toBe(1828);
    expect(record.backend).toBe('wasm');
    // raw pixels do not depend on training: the value measured for the README (23.62 %)
    expect(record.probe.ncmRawPixels).toBeCloseTo(23.62, 1);
    for (const k of ['ncmPretrained', 'ncmRandomInit', 'ncmAfterStage1']) {
      expect(record.probe[k]).toBeGreaterThan(0);
      expect(record.probe[k]).toBeLessThan(100);
    }

    // a second run reuses stage 1 and, being deterministic, writes the very same checkpoint
    const again = runCli([...args.slice(0, -1), join(work, 'out2')], { timeoutMs: 900_000 });
    expect(again.status).toBe(0);
    expect(again.stderr).toContain(`stage 1: reusing ${stage1} (same recipe and images)`);
    expect(again.stderr).not.toContain('stage 1 (contrastive) [');
    const record2 = JSON.parse(readFileSync(join(work, 'out2', 'vit-emoji-pretrained.json'), 'utf8'));
    expect(record2.sha256).toBe(record.sha256);

    // other clip art: stage 1 is trained again, not reused
    writeFileSync(join(clipart, 'shapes', 's0.png'), readFileSync(join(clipart, 'shapes', 's1.png')));
    const other = runCli([...args.slice(0, -1), join(work, 'out3')], { timeoutMs: 900_000 });
    expect(other.status).toBe(0);
    expect(other.stderr).toContain(
      `stage 1: ${stage1} was made with another recipe or images; training again`,
    );
  }, 1_800_000);

  it('exits 2 naming the folder and the package when the clip art is missing, and on a --stage1 folder', () => {
    const missing = join(work, 'no-such-folder');
    const r = runCli(['pretrain', '--clipart', missing, '--out-dir', join(work, 'x')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`clip-art folder ${missing} does not exist or is not a folder`);
    expect(r.stderr).toContain('apt-get install openclipart-png');
    // a --stage1 path that could not be written after training is refused before it
    const dir = join(work, 'a-folder');
    mkdirSync(dir, { recursive: true });
    const s1 = runCli(['pretrain', '--clipart', clipart, '--stage1', dir, '--out-dir', join(work, 'y')]);
    expect(s1.status).toBe(2);
    expect(s1.stderr).toContain(`--stage1 ${dir} exists and is not a file`);
  });
});
