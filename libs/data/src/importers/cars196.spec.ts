import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jpeg, writeTree } from '../../test/importers/official-formats';
import { manifestDigest } from '../manifest';
import { importCars196 } from './cars196';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cars196-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const layout = (name: string, extra: Record<string, Buffer | Promise<Buffer>> = {}) =>
  writeTree(join(dir, name), {
    'train/Volvo XC90 SUV 2007/00002.jpg': jpeg(1, 2, 3, 30, 20),
    'train/AM General Hummer SUV 2000/00001.jpg': jpeg(4, 5, 6, 16, 16),
    'train/AM General Hummer SUV 2000/00003.jpg': jpeg(7, 8, 9),
    'test/AM General Hummer SUV 2000/00010.jpg': jpeg(1, 1, 1),
    'test/Volvo XC90 SUV 2007/00011.jpg': jpeg(2, 2, 2),
    ...extra,
  });

describe('importCars196', () => {
  it('numbers class folders in sorted order, keeps no imageSize (sizes vary) and is reproducible', async () => {
    const root = await layout('ok');
    const { manifest, warnings } = await importCars196(root, { name: 'cars' });
    expect(manifest.classes).toEqual([
      { id: 0, name: 'AM General Hummer SUV 2000' },
      { id: 1, name: 'Volvo XC90 SUV 2007' },
    ]);
    expect(manifest.train.map((it) => [it.file, it.label])).toEqual([
      ['train/AM General Hummer SUV 2000/00001.jpg', 0],
      ['train/AM General Hummer SUV 2000/00003.jpg', 0],
      ['train/Volvo XC90 SUV 2007/00002.jpg', 1],
    ]);
    expect(manifest.imageSize).toBeUndefined();
    expect(warnings).toEqual([
      'Cars-196: 2 classes, the official release has 196',
      'Cars-196: 3 train images, the official release has 8,144',
      'Cars-196: 2 test images, the official release has 8,041',
    ]);
    const again = await importCars196(root, { name: 'cars' });
    expect(manifestDigest(again.manifest)).toBe(manifestDigest(manifest));
  });

  it('refuses a truncated JPEG (naming it relative to the root), a class missing from test and a missing folder', async () => {
    const whole = await jpeg(9, 9, 9, 64, 64);
    await expect(
      importCars196(
        await layout('truncated', {
          'test/Volvo XC90 SUV 2007/00011.jpg': whole.subarray(0, whole.length / 2),
        }),
        { name: 'c' },
      ),
    ).rejects.toThrow(/^cannot decode image test\/Volvo XC90 SUV 2007\/00011\.jpg: /);
    await expect(
      importCars196(await layout('extra-class', { 'train/Zeta 2012/1.jpg': jpeg(0, 0, 0) }), { name: 'c' }),
    ).rejects.toThrow('class Zeta 2012 has no folder in');
    await expect(importCars196(join(dir, 'nope'), { name: 'c' })).rejects.toThrow('Cars-196 folder');
  });
});
