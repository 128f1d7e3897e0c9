import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jpeg, writeTree } from '../../test/importers/official-formats';
import { manifestDigest } from '../manifest';
import { Mt19937 } from '../random/mt19937';
import { imagenetRTestMask, importImagenetR } from './imagenet-r';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'imagenet-r-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** 3 wnids × `perClass` images (6: 18 images, 3 of them test with seed 1993). */
async function tree(name: string, extra: Record<string, Buffer | Promise<Buffer>> = {}, perClass = 6) {
  const files: Record<string, Buffer | Promise<Buffer>> = {};
  ['n01443537', 'n01484850', 'n01494475'].forEach((wnid, c) => {
    for (let i = 0; i < perClass; i++) files[`${wnid}/art_${i}.jpg`] = jpeg(c * 80, i * 40, 10);
  });
  return writeTree(join(dir, name), { ...files, 'README.txt': 'not a class', ...extra });
}

describe('imagenetRTestMask', () => {
  it('marks exactly floor(N/5) images, those at the first positions of Mt19937(seed).permutation(N)', () => {
    const mask = imagenetRTestMask(15, 1993);
    const firstThree = new Mt19937(1993).permutation(15).slice(0, 3);
    expect(mask.flatMap((t, i) => (t ? [i] : []))).toEqual([...firstThree].sort((a, b) => a - b));
    expect(imagenetRTestMask(30_000, 1993).filter(Boolean)).toHaveLength(6_000);
  });
});

describe('importImagenetR', () => {
  it('numbers wnids in sorted order and splits 80/20 by the documented rule, reproducibly', async () => {
    const root = await tree('ok');
    const { manifest, warnings } = await importImagenetR(root, { name: 'r', seed: 1993 });
    expect(manifest.classes.map((c) => c.name)).toEqual(['n01443537', 'n01484850', 'n01494475']);
    expect(manifest.train).toHaveLength(15);
    expect(manifest.test).toHaveLength(3);
    const all = ['n01443537', 'n01484850', 'n01494475'].flatMap((w) =>
      [0, 1, 2, 3, 4, 5].map((i) => `${w}/art_${i}.jpg`),
    );
    const mask = imagenetRTestMask(18, 1993);
    expect(manifest.test.map((it) => it.file)).toEqual(all.filter((_, i) => mask[i]));
    expect(manifest.train.map((it) => it.file)).toEqual(all.filter((_, i) => !mask[i]));
    expect(manifest.test.map((it) => it.label)).toEqual([0, 1, 2]);
    expect(manifest.description).toContain('Mt19937(1993)');
    expect(warnings).toEqual([
      'ImageNet-R: 3 classes, the official release has 200',
      'ImageNet-R: 15 train images, the official release has 24,000',
      'ImageNet-R: 3 test images, the official release has 6,000',
    ]);
    const again = await importImagenetR(root, { name: 'r', seed: 1993 });
    expect(manifestDigest(again.manifest)).toBe(manifestDigest(manifest));
    const otherSeed = await importImagenetR(root, { name: 'r', seed: 1997 });
    expect(manifestDigest(otherSeed.manifest)).not.toBe(manifestDigest(manifest));
  });

  it('refuses a corrupt JPEG and a truncated one, naming the file', async () => {
    await expect(
      importImagenetR(await tree('corrupt', { 'n01484850/art_2.jpg': Buffer.from('not an image at all') }), {
        name: 'r',
      }),
    ).rejects.toThrow(
      'cannot decode image n01484850/art_2.jpg: Input buffer contains unsupported image format',
    );
    const whole = await jpeg(1, 2, 3, 64, 64);
    await expect(
      importImagenetR(
        await tree('truncated', { 'n01494475/art_4.jpg': whole.subarray(0, whole.length / 2) }),
        { name: 'r' },
      ),
      // libvips words it "premature end of JPEG image" or "Bogus marker length" depending on where its
      // reader stops (its error text is process-global under concurrent decodes): the file is what matters.
    ).rejects.toThrow(/^cannot decode image n01494475\/art_4\.jpg: .*VipsJpeg/);
  });

  it('refuses a split that leaves a class without test images, naming the class and seed', async () => {
    // 3 × 5 images with seed 1993: the 3 test positions fall in classes 1 and 2 only.
    await expect(importImagenetR(await tree('unlucky', {}, 5), { name: 'r', seed: 1993 })).rejects.toThrow(
      'the seed-1993 80/20 split leaves class n01443537 with no test image; use another seed',
    );
  });

  it('refuses a missing folder, an empty one, and a class with fewer than 2 images', async () => {
    await expect(importImagenetR(join(dir, 'nope'), { name: 'r' })).rejects.toThrow(
      `ImageNet-R folder ${join(dir, 'nope')} does not exist`,
    );
    await expect(
      importImagenetR(await writeTree(join(dir, 'empty'), { 'a.txt': 'x' }), { name: 'r' }),
    ).rejects.toThrow('has no class folders (imagenet-r/<wnid>/)');
    await expect(
      importImagenetR(await tree('lonely', { 'n09999999/only.jpg': jpeg(0, 0, 0) }), { name: 'r' }),
    ).rejects.toThrow(
      'class folder n09999999 holds 1 image(s); a class needs at least 2 to appear in both splits',
    );
  });
});
