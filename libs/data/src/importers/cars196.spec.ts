import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jpeg, writeTree } from '../../test/importers/official-formats';
import { manifestDigest } from '../manifest';
import { DatasetImportError } from './import-common';
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

/** scripts/make-mat5-fixtures.py: 3 classes; train 00001..00004 of class 3, 1, 2, 1; test 00001..00003 of 2, 1, 3. */
const FIXTURES = join(__dirname, '../../test/importers/cars196/devkit');
const fixture = (file: string) => readFileSync(join(FIXTURES, file));
const NAMES = ['AM General Hummer SUV 2000', 'Acura RL Sedan 2012', 'Volvo XC90 SUV 2007'];

type Tree = Record<string, Buffer | Promise<Buffer> | undefined>;
let releases = 0;
/** The official release layout (devkit/, cars_train/, cars_test/) with `overrides` (undefined = leave out). */
function release(overrides: Tree = {}) {
  const files: Tree = {
    'devkit/cars_meta.mat': fixture('cars_meta.mat'),
    'devkit/cars_train_annos.mat': fixture('cars_train_annos.mat'),
    'devkit/cars_test_annos.mat': fixture('cars_test_annos.mat'),
    'cars_test_annos_withlabels.mat': fixture('cars_test_annos_withlabels.mat'),
    'cars_train/00001.jpg': jpeg(200, 10, 10, 20, 14),
    'cars_train/00002.jpg': jpeg(10, 200, 10),
    'cars_train/00003.jpg': jpeg(10, 10, 200, 9, 17),
    'cars_train/00004.jpg': jpeg(90, 90, 10),
    'cars_test/00001.jpg': jpeg(1, 2, 3),
    'cars_test/00002.jpg': jpeg(4, 5, 6),
    'cars_test/00003.jpg': jpeg(7, 8, 9),
    ...overrides,
  };
  return writeTree(
    join(dir, `release-${++releases}`),
    Object.fromEntries(Object.entries(files).filter((e): e is [string, Buffer | Promise<Buffer>] => !!e[1])),
  );
}

describe('importCars196 from the official release (devkit .mat annotations)', () => {
  it('labels each image class − 1 with cars_meta.mat names, in annotation order, reproducibly', async () => {
    const root = await release();
    const { manifest, warnings } = await importCars196(root, { name: 'cars' });
    expect(manifest.classes).toEqual(NAMES.map((name, id) => ({ id, name })));
    expect(manifest.train.map((it) => [it.file, it.label])).toEqual([
      ['cars_train/00001.jpg', 2],
      ['cars_train/00002.jpg', 0],
      ['cars_train/00003.jpg', 1],
      ['cars_train/00004.jpg', 0],
    ]);
    expect(manifest.test.map((it) => [it.file, it.label])).toEqual([
      ['cars_test/00001.jpg', 1],
      ['cars_test/00002.jpg', 0],
      ['cars_test/00003.jpg', 2],
    ]);
    expect(manifest.train[0].sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(manifest.imageSize).toBeUndefined();
    expect(manifest.description).toContain('official release');
    expect(warnings).toEqual([
      'Cars-196: 3 classes, the official release has 196',
      'Cars-196: 4 train images, the official release has 8,144',
      'Cars-196: 3 test images, the official release has 8,041',
    ]);
    const again = await importCars196(await release(), { name: 'cars' });
    expect(manifestDigest(again.manifest)).toBe(manifestDigest(manifest));
  });

  it('finds cars_test_annos_withlabels.mat in devkit/ as well as in the root', async () => {
    const root = await release({
      'cars_test_annos_withlabels.mat': undefined,
      'devkit/cars_test_annos_withlabels.mat': fixture('cars_test_annos_withlabels.mat'),
    });
    const { manifest } = await importCars196(root, { name: 'cars' });
    expect(manifest.test.map((it) => it.label)).toEqual([1, 0, 2]);
  });

  it('keeps to train/ and test/ folders when a root holds both layouts', async () => {
    const root = await layout('both', { 'devkit/cars_meta.mat': fixture('cars_meta.mat') });
    const { manifest } = await importCars196(root, { name: 'cars' });
    expect(manifest.train[0].file).toBe('train/AM General Hummer SUV 2000/00001.jpg');
  });

  const refusals: [string, Tree, string | RegExp][] = [
    [
      'class 0',
      { 'devkit/cars_train_annos.mat': fixture('cars_train_annos-class-0.mat') },
      'devkit/cars_train_annos.mat: annotation 3 (00003.jpg) has class 0, expected 1..3',
    ],
    [
      'class 197',
      { 'cars_test_annos_withlabels.mat': fixture('cars_test_annos_withlabels-class-197.mat') },
      'cars_test_annos_withlabels.mat: annotation 2 (00002.jpg) has class 197, expected 1..3',
    ],
    ['a missing image', { 'cars_test/00003.jpg': undefined }, 'image cars_test/00003.jpg is missing'],
    [
      'a corrupt JPEG',
      { 'cars_train/00002.jpg': Promise.resolve(Buffer.from('\xff\xd8\xff garbage')) },
      /^cannot decode image cars_train\/00002\.jpg: /,
    ],
    [
      'a truncated JPEG',
      { 'cars_test/00001.jpg': jpeg(9, 9, 9, 64, 64).then((b) => b.subarray(0, b.length / 2)) },
      /^cannot decode image cars_test\/00001\.jpg: /,
    ],
    [
      'a missing cars_test_annos_withlabels.mat',
      { 'cars_test_annos_withlabels.mat': undefined },
      /has no cars_test_annos_withlabels\.mat \(looked in devkit\/ and the root; devkit\/cars_test_annos\.mat has no class labels\)$/,
    ],
    [
      'test annotations without labels',
      { 'cars_test_annos_withlabels.mat': fixture('cars_test_annos.mat') },
      "cars_test_annos_withlabels.mat: annotations have no 'class' field (fields: bbox_x1, bbox_y1, bbox_x2, bbox_y2, fname)",
    ],
    ['a missing cars_meta.mat', { 'devkit/cars_meta.mat': undefined }, /has no devkit\/cars_meta\.mat$/],
    [
      'a cars_meta.mat without class_names',
      { 'devkit/cars_meta.mat': fixture('cars_train_annos.mat') },
      "devkit/cars_meta.mat has no variable 'class_names' (it has: annotations)",
    ],
    [
      'a class with no train image',
      { 'devkit/cars_meta.mat': fixture('cars_meta-4-classes.mat') },
      'class 4 ("Zeta 2012") has no train image in devkit/cars_train_annos.mat',
    ],
    [
      'a truncated MAT-file (naming the file, byte and variable)',
      {
        'devkit/cars_train_annos.mat': Promise.resolve(
          fixture('cars_test_annos_withlabels.mat').subarray(0, 700),
        ),
      },
      /^devkit\/cars_train_annos\.mat: byte \d+ \(variable 'annotations'\): miMATRIX element of \d+ bytes runs past the end of the file/,
    ],
    [
      'a missing image folder',
      {
        'cars_test/00001.jpg': undefined,
        'cars_test/00002.jpg': undefined,
        'cars_test/00003.jpg': undefined,
      },
      /Cars-196 test image folder .*cars_test does not exist$/,
    ],
  ];
  for (const [what, overrides, error] of refusals) {
    it(`refuses ${what}`, async () => {
      const root = await release(overrides);
      await expect(importCars196(root, { name: 'cars' })).rejects.toThrow(DatasetImportError);
      await expect(importCars196(root, { name: 'cars' })).rejects.toThrow(error);
    });
  }

  it('says what it looked for when a folder holds neither layout', async () => {
    const root = await writeTree(join(dir, 'neither'), { 'README.txt': Buffer.from('cars') });
    await expect(importCars196(root, { name: 'cars' })).rejects.toThrow(
      `${root} holds neither Cars-196 layout: looked for train/ and test/ folders, or the official release ` +
        '(devkit/cars_meta.mat, devkit/cars_train_annos.mat, cars_test_annos_withlabels.mat in devkit/ or the root, cars_train/, cars_test/)',
    );
  });
});
