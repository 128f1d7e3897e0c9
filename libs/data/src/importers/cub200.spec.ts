import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jpeg, writeTree } from '../../test/importers/official-formats';
import { manifestDigest } from '../manifest';
import { importCub200 } from './cub200';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cub200-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The release layout with 2 classes and 4 images (ids deliberately listed out of order in images.txt). */
function release(overrides: Record<string, string | Buffer | Promise<Buffer> | undefined> = {}) {
  const files: Record<string, string | Buffer | Promise<Buffer> | undefined> = {
    'classes.txt': '1 001.Black_footed_Albatross\n2 002.Laysan_Albatross\n',
    'images.txt':
      '2 001.Black_footed_Albatross/a_2.jpg\n1 001.Black_footed_Albatross/a_1.jpg\n3 002.Laysan_Albatross/b_3.jpg\n4 002.Laysan_Albatross/b_4.jpg\n',
    'image_class_labels.txt': '1 1\n2 1\n3 2\n4 2\n',
    'train_test_split.txt': '1 1\r\n2 0\r\n3 0\r\n4 1\r\n',
    'images/001.Black_footed_Albatross/a_1.jpg': jpeg(10, 20, 30),
    'images/001.Black_footed_Albatross/a_2.jpg': jpeg(40, 50, 60),
    'images/002.Laysan_Albatross/b_3.jpg': jpeg(70, 80, 90),
    'images/002.Laysan_Albatross/b_4.jpg': jpeg(100, 110, 120),
    ...overrides,
  };
  const name = `release-${
    Object.keys(overrides)
      .join('-')
      .replace(/[^a-z0-9]+/gi, '_') || 'ok'
  }-${Math.round(performance.now() * 1000)}`;
  return writeTree(
    join(dir, name),
    Object.fromEntries(
      Object.entries(files).filter(
        (e): e is [string, string | Buffer | Promise<Buffer>] => e[1] !== undefined,
      ),
    ),
  );
}

describe('importCub200', () => {
  it('follows train_test_split.txt, turns 1-based class ids into 0-based labels, reproducibly', async () => {
    const root = await release();
    const { manifest, warnings } = await importCub200(root, { name: 'cub' });
    expect(manifest.classes).toEqual([
      { id: 0, name: '001.Black_footed_Albatross' },
      { id: 1, name: '002.Laysan_Albatross' },
    ]);
    expect(manifest.train.map((it) => [it.file, it.label])).toEqual([
      ['images/001.Black_footed_Albatross/a_1.jpg', 0],
      ['images/002.Laysan_Albatross/b_4.jpg', 1],
    ]);
    expect(manifest.test.map((it) => [it.file, it.label])).toEqual([
      ['images/001.Black_footed_Albatross/a_2.jpg', 0],
      ['images/002.Laysan_Albatross/b_3.jpg', 1],
    ]);
    expect(warnings).toContain('CUB-200-2011: 2 train images, the official release has 5,994');
    const again = await importCub200(await release(), { name: 'cub' });
    expect(manifestDigest(again.manifest)).toBe(manifestDigest(manifest));
  });

  const refusals: [string, Record<string, string | Buffer | Promise<Buffer> | undefined>, string | RegExp][] =
    [
      ['a missing annotation file', { 'train_test_split.txt': undefined }, /has no train_test_split\.txt$/],
      [
        'an image id only in images.txt',
        { 'image_class_labels.txt': '1 1\n2 1\n3 2\n' },
        'image 4 is in images.txt but not in image_class_labels.txt',
      ],
      [
        'an image id only in the split file',
        { 'train_test_split.txt': '1 1\n2 0\n3 0\n4 1\n5 1\n' },
        'image 5 is in train_test_split.txt but not in images.txt',
      ],
      [
        'a class label out of range',
        { 'image_class_labels.txt': '1 1\n2 1\n3 3\n4 2\n' },
        'image_class_labels.txt: image 3 has class 3, expected 1..2',
      ],
      [
        'a class label of 0',
        { 'image_class_labels.txt': '1 0\n2 1\n3 2\n4 2\n' },
        'image_class_labels.txt: image 1 has class 0, expected 1..2',
      ],
      [
        'a split flag that is not 0/1',
        { 'train_test_split.txt': '1 1\n2 0\n3 2\n4 1\n' },
        'train_test_split.txt: image 3 has 2, expected 1 (train) or 0 (test)',
      ],
      [
        'a malformed line',
        { 'images.txt': '1 001.Black_footed_Albatross/a_1.jpg\ntwo a_2.jpg\n' },
        'images.txt:2: expected "<id> <value>", got "two a_2.jpg"',
      ],
      [
        'a duplicated id',
        { 'image_class_labels.txt': '1 1\n2 1\n3 2\n3 2\n4 2\n' },
        'image_class_labels.txt:4: id 3 is listed twice',
      ],
      [
        'a gap in the class ids',
        { 'classes.txt': '1 a\n3 c\n' },
        'classes.txt: class ids must be 1..2 without gaps, but 2 is missing',
      ],
      [
        'a class with no test image',
        { 'train_test_split.txt': '1 1\n2 1\n3 0\n4 1\n' },
        'class 1 ("001.Black_footed_Albatross") has no test image in train_test_split.txt',
      ],
      [
        'a missing image',
        { 'images/002.Laysan_Albatross/b_3.jpg': undefined },
        'image images/002.Laysan_Albatross/b_3.jpg is missing',
      ],
      [
        'a corrupt JPEG',
        { 'images/001.Black_footed_Albatross/a_2.jpg': Buffer.from('\xff\xd8\xff garbage') },
        /^cannot decode image images\/001\.Black_footed_Albatross\/a_2\.jpg: /,
      ],
    ];
  for (const [what, overrides, error] of refusals) {
    it(`refuses ${what}`, async () => {
      await expect(importCub200(await release(overrides), { name: 'cub' })).rejects.toThrow(error);
    });
  }
});
