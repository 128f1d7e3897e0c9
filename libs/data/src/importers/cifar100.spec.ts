import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CIFAR_NAMES,
  cifarFile,
  cifarRecord,
  patternPixel,
  tarGz,
} from '../../test/importers/official-formats';
import { manifestDigest } from '../manifest';
import { importCifar100, parseCifar100LabelNames, parseCifar100Records } from './cifar100';
import { DatasetImportError } from './import-common';

const CORPUS = join(__dirname, '../../test/importers/cifar100/not-ok');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cifar100-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('parseCifar100Records', () => {
  it('reads three known records: labels, and R/G/B planes interleaved into RGB pixels', () => {
    const bytes = Buffer.concat([
      cifarRecord(4, 30, (x, y, c) => [x, y, 200][c]),
      cifarRecord(0, 0, () => 0),
      cifarRecord(19, 99, (x, y, c) => (c === 2 ? 255 : x * 8)),
    ]);
    const records = parseCifar100Records(bytes, 'train.bin');
    expect(records.map((r) => [r.coarse, r.fine])).toEqual([
      [4, 30],
      [0, 0],
      [19, 99],
    ]);
    // Pixel (x=5, y=7) of record 0: R = x, G = y, B = 200, at interleaved offset (7·32 + 5)·3.
    const at = (7 * 32 + 5) * 3;
    expect([...records[0].rgb.subarray(at, at + 3)]).toEqual([5, 7, 200]);
    expect(records[1].rgb.every((v) => v === 0)).toBe(true);
    expect([...records[2].rgb.subarray(3 * 31, 3 * 32)]).toEqual([248, 248, 255]);
  });

  const expected = JSON.parse(readFileSync(join(CORPUS, 'expected-errors.json'), 'utf8')) as Record<
    string,
    string
  >;
  it('covers every file of the not-ok corpus', () => {
    expect(Object.keys(expected).sort()).toEqual(
      readdirSync(CORPUS)
        .filter((f) => f.endsWith('.bin'))
        .sort(),
    );
  });
  for (const [file, message] of Object.entries(expected)) {
    it(`refuses not-ok/${file}: ${message}`, () => {
      const parse = () => parseCifar100Records(readFileSync(join(CORPUS, file)), file);
      expect(parse).toThrow(DatasetImportError);
      expect(parse).toThrow(message);
    });
  }
});

describe('parseCifar100LabelNames', () => {
  it('takes 100 names, one per line, ignoring trailing newlines and CRs', () => {
    expect(parseCifar100LabelNames(`${CIFAR_NAMES.join('\r\n')}\n\n`, 'f.txt')).toEqual(CIFAR_NAMES);
  });
  it('refuses a wrong count, an empty line and a repeated name', () => {
    expect(() => parseCifar100LabelNames('a\nb\n', 'f.txt')).toThrow('f.txt lists 2 names, expected 100');
    const blank = [...CIFAR_NAMES];
    blank[3] = '';
    expect(() => parseCifar100LabelNames(blank.join('\n'), 'f.txt')).toThrow('f.txt: line 4 is empty');
    const twice = [...CIFAR_NAMES];
    twice[9] = twice[2];
    expect(() => parseCifar100LabelNames(twice.join('\n'), 'f.txt')).toThrow(
      'f.txt: line 10 repeats "fine-02" (line 3)',
    );
  });
});

describe('importCifar100', () => {
  const train = cifarFile(2, 0);
  const test = cifarFile(1, 5000);

  it('writes one lossless PNG per record, labelled with its fine label, and a reproducible manifest', async () => {
    const src = join(dir, 'folder');
    mkdirSync(src);
    writeFileSync(join(src, 'train.bin'), train);
    writeFileSync(join(src, 'test.bin'), test);
    writeFileSync(join(src, 'fine_label_names.txt'), `${CIFAR_NAMES.join('\n')}\n`);
    const out = join(dir, 'out-folder');
    const progress: number[] = [];
    const imported = await importCifar100(src, {
      name: 'c',
      outDir: out,
      onProgress: (d) => progress.push(d),
    });
    const m = imported.manifest;
    expect(m.classes[0]).toEqual({ id: 0, name: 'fine-00' });
    expect(m.classes).toHaveLength(100);
    expect(m.imageSize).toBe(32);
    expect(m.train).toHaveLength(200);
    expect(m.test).toHaveLength(100);
    // Record i of train.bin is train/<i>.png; records are 2 per class in label order.
    expect(m.train[3]).toMatchObject({ file: 'train/00003.png', label: 1 });
    expect(m.test[99]).toMatchObject({ file: 'test/00099.png', label: 99 });
    expect(progress.at(-1)).toBe(300);
    // The PNG decodes back to exactly the record's pixels.
    const { data, info } = await sharp(join(out, 'train/00003.png'))
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([32, 32, 3]);
    const pixel = patternPixel(0 + 1 * 10 + 1);
    expect(data[(4 * 32 + 9) * 3 + 1]).toBe(pixel(9, 4, 1));
    expect([...data]).toEqual([...parseCifar100Records(train, 'train.bin')[3].rgb]);
    // Counts differ from the official release: warned, not refused.
    expect(imported.warnings).toEqual([
      'CIFAR-100: 200 train images, the official release has 50,000',
      'CIFAR-100: 100 test images, the official release has 10,000',
    ]);
    // Re-import into another folder: byte-identical PNGs, so the same manifest digest.
    const again = await importCifar100(src, { name: 'c', outDir: join(dir, 'out-folder-2') });
    expect(manifestDigest(again.manifest)).toBe(manifestDigest(m));
  });

  it('reads the .tar.gz release (cifar-100-binary/…) to the same manifest as the extracted folder', async () => {
    const archive = join(dir, 'cifar-100-binary.tar.gz');
    writeFileSync(
      archive,
      tarGz({
        'cifar-100-binary/coarse_label_names.txt': Buffer.from('x\n'),
        'cifar-100-binary/fine_label_names.txt': Buffer.from(`${CIFAR_NAMES.join('\n')}\n`),
        'cifar-100-binary/test.bin': test,
        'cifar-100-binary/train.bin': train,
      }),
    );
    const fromTar = await importCifar100(archive, { name: 'c', outDir: join(dir, 'out-tar') });
    const fromFolder = await importCifar100(join(dir, 'folder'), { name: 'c', outDir: join(dir, 'out-3') });
    expect(manifestDigest(fromTar.manifest)).toBe(manifestDigest(fromFolder.manifest));
  });

  it('names classes class-<id> without fine_label_names.txt', async () => {
    const archive = join(dir, 'no-names.tar.gz');
    writeFileSync(archive, tarGz({ 'train.bin': train, 'test.bin': test }));
    const { manifest } = await importCifar100(archive, { name: 'c', outDir: join(dir, 'out-no-names') });
    expect(manifest.classes[42]).toEqual({ id: 42, name: 'class-42' });
  });

  it('refuses a truncated record, a label of 100, a missing file, a class without test records and a damaged archive', async () => {
    const run = (files: Record<string, Uint8Array>, name: string) => {
      const archive = join(dir, `${name}.tar.gz`);
      writeFileSync(archive, tarGz(files));
      return importCifar100(archive, { name: 'c', outDir: join(dir, `out-${name}`) });
    };
    await expect(
      run({ 'train.bin': train.subarray(0, train.length - 10), 'test.bin': test }, 'trunc'),
    ).rejects.toThrow('train.bin: record 199 is truncated (3064 of 3074 bytes; the file has 614790 bytes)');
    const label100 = Buffer.from(test);
    label100[3074 * 7 + 1] = 100;
    await expect(run({ 'train.bin': train, 'test.bin': label100 }, 'label')).rejects.toThrow(
      'test.bin: record 7 has fine label 100, expected 0..99',
    );
    await expect(run({ 'train.bin': train }, 'missing')).rejects.toThrow('holds no test.bin');
    await expect(
      run({ 'train.bin': train, 'test.bin': test.subarray(0, 3074 * 99) }, 'empty-class'),
    ).rejects.toThrow(
      'test.bin has no record of fine label 99 ("class-99"): every class needs train and test images',
    );
    const damaged = join(dir, 'damaged.tar.gz');
    writeFileSync(damaged, Buffer.from('not gzip'));
    await expect(importCifar100(damaged, { name: 'c', outDir: join(dir, 'x') })).rejects.toThrow(
      'damaged.tar.gz is not a readable .tar.gz',
    );
    await expect(importCifar100(join(dir, 'nope'), { name: 'c', outDir: join(dir, 'x') })).rejects.toThrow(
      'does not exist',
    );
  });
});
