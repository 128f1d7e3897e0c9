import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClipartFolderError, decodeClipartFolder } from './clipart';

let dir: string;

async function png(path: string, width: number, height: number, rgba: [number, number, number, number]) {
  const pixels = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) pixels.set(rgba, i * 4);
  await sharp(pixels, { raw: { width, height, channels: 4 } })
    .png()
    .toFile(path);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'slca-clipart-'));
  mkdirSync(join(dir, 'animals'));
  // a wide red picture: fitted into the square, white above and below
  await png(join(dir, 'animals', 'wide-red.png'), 4, 2, [255, 0, 0, 255]);
  // fully transparent: composited onto white
  await png(join(dir, 'blank.png'), 4, 4, [0, 0, 255, 0]);
  await png(join(dir, 'green.PNG'), 4, 4, [0, 255, 0, 255]);
  writeFileSync(join(dir, 'broken.png'), 'not a png');
  writeFileSync(join(dir, 'notes.txt'), 'ignored');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('decodeClipartFolder', () => {
  it('decodes every PNG under the folder in sorted order, fitted onto white, and lists the unreadable ones', async () => {
    const clip = await decodeClipartFolder(dir, 4, { concurrency: 2 });
    expect(clip.files).toEqual(['animals/wide-red.png', 'blank.png', 'green.PNG']);
    expect(clip.count).toBe(3);
    expect(clip.unreadable.map((u) => u.file)).toEqual(['broken.png']);
    expect(clip.unreadable[0].reason.length).toBeGreaterThan(0);
    const per = 4 * 4 * 3;
    expect(clip.data.length).toBe(3 * per);
    const pixel = (img: number, y: number, x: number) =>
      Array.from(clip.data.subarray(img * per + (y * 4 + x) * 3, img * per + (y * 4 + x) * 3 + 3));
    // 4×2 into 4×4: rows 0 and 3 are the white padding, rows 1–2 the picture
    for (let x = 0; x < 4; x++) {
      expect(pixel(0, 0, x)).toEqual([1, 1, 1]);
      expect(pixel(0, 1, x)).toEqual([1, 0, 0]);
      expect(pixel(0, 2, x)).toEqual([1, 0, 0]);
      expect(pixel(0, 3, x)).toEqual([1, 1, 1]);
    }
    expect(Array.from(clip.data.subarray(per, 2 * per)).every((v) => v === 1)).toBe(true);
    expect(pixel(2, 2, 2)).toEqual([0, 1, 0]);
    expect(clip.sha256).toMatch(/^[0-9a-f]{64}$/);
    // the digest is of the pixels: the same folder decodes to the same digest
    expect((await decodeClipartFolder(dir, 4)).sha256).toBe(clip.sha256);
  });

  it('refuses a missing folder, one with no PNG, and one where nothing decodes, naming the folder', async () => {
    await expect(decodeClipartFolder(join(dir, 'nope'), 4)).rejects.toThrow(
      /clip-art folder .*nope does not exist.*apt-get install openclipart-png/,
    );
    const empty = mkdtempSync(join(tmpdir(), 'slca-clipart-empty-'));
    try {
      await expect(decodeClipartFolder(empty, 4)).rejects.toThrow(ClipartFolderError);
      await expect(decodeClipartFolder(empty, 4)).rejects.toThrow(/holds no \.png file/);
      writeFileSync(join(empty, 'bad.png'), 'x');
      await expect(decodeClipartFolder(empty, 4)).rejects.toThrow(
        /none of its 1 \.png files decodes \(first: bad\.png/,
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
    await expect(decodeClipartFolder(dir, 0)).rejects.toThrow(/size must be a positive integer/);
  });
});
