import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FolderDatasetError, readFolderDataset } from './folder-dataset';
import { manifestDigest } from './manifest';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'folder-dataset-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const png = (r: number, g: number, b: number) =>
  sharp({ create: { width: 4, height: 4, channels: 3, background: { r, g, b } } })
    .png()
    .toBuffer();

/** Writes `<root>/<split>/<class>/<file>` for every entry; returns the root. */
async function layout(name: string, files: Record<string, Buffer | Promise<Buffer>>): Promise<string> {
  const root = join(dir, name);
  for (const [path, bytes] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), await bytes);
  }
  return root;
}

describe('readFolderDataset', () => {
  it('numbers classes in sorted folder order and lists files with their SHA-256, reproducibly', async () => {
    const root = await layout('ok', {
      'train/zebra/1.png': png(0, 0, 0),
      'train/ant/2.png': png(255, 0, 0),
      'train/ant/1.png': png(0, 255, 0),
      'test/zebra/9.png': png(1, 1, 1),
      'test/ant/9.png': png(2, 2, 2),
      'train/ant/notes.txt': Buffer.from('not an image'),
    });
    const m = await readFolderDataset(root, 'ok', { imageSize: 4 });
    expect(m.classes).toEqual([
      { id: 0, name: 'ant' },
      { id: 1, name: 'zebra' },
    ]);
    expect(m.train.map((it) => [it.file, it.label])).toEqual([
      ['train/ant/1.png', 0],
      ['train/ant/2.png', 0],
      ['train/zebra/1.png', 1],
    ]);
    expect(m.test).toHaveLength(2);
    expect(m.train[0].sha256).toMatch(/^[0-9a-f]{64}$/);
    const again = await readFolderDataset(root, 'ok', { imageSize: 4 });
    expect(manifestDigest(again)).toBe(manifestDigest(m));
  });

  const refused = async (files: Record<string, Buffer | Promise<Buffer>>, name: string) =>
    readFolderDataset(await layout(name, files), name, { imageSize: 4 });

  it('refuses an empty class, a class missing from test, and a corrupt image, naming it', async () => {
    await expect(
      refused(
        { 'train/a/1.png': png(0, 0, 0), 'test/a/1.png': png(0, 0, 0), 'train/b/x.txt': Buffer.from('') },
        'e1',
      ),
    ).rejects.toThrow('class b has no folder in');
    await expect(
      refused(
        {
          'train/a/1.png': png(0, 0, 0),
          'test/a/1.png': png(0, 0, 0),
          'train/b/x.txt': Buffer.from(''),
          'test/b/x.txt': Buffer.from(''),
        },
        'e2',
      ),
    ).rejects.toThrow('class b has no train images');
    const whole = await png(9, 9, 9);
    await expect(
      refused(
        {
          'train/a/1.png': png(0, 0, 0),
          'test/a/bad.png': Promise.resolve(whole.subarray(0, whole.length / 2)),
        },
        'e3',
      ),
    ).rejects.toThrow(/cannot decode image .*e3\/test\/a\/bad.png/);
    await expect(readFolderDataset(join(dir, 'nowhere'), 'x', { imageSize: 4 })).rejects.toThrow(
      FolderDatasetError,
    );
  });
});
