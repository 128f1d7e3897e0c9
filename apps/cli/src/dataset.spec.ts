import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../test/run-cli';

let dir: string;
let datasets: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'slca-dataset-cli-'));
  datasets = join(dir, 'datasets');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** CIFAR-100 binary: `perClass` records of each fine label 0..99 (coarse = fine mod 20, pixels = fine). */
function cifarBin(perClass: number): Buffer {
  const records: Buffer[] = [];
  for (let fine = 0; fine < 100; fine++)
    for (let k = 0; k < perClass; k++) {
      const r = Buffer.alloc(3074, fine + k);
      r[0] = fine % 20;
      r[1] = fine;
      records.push(r);
    }
  return Buffer.concat(records);
}

/** A gzipped ustar archive of the given files. */
function tarGz(files: Record<string, Buffer>): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, data] of Object.entries(files)) {
    const h = Buffer.alloc(512);
    h.write(name, 0, 'latin1');
    h.write('0000644\0', 100, 'latin1');
    h.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
    h.write('00000000000\0', 136, 'latin1');
    h.write('        ', 148, 'latin1');
    h[156] = 0x30;
    h.write('ustar\0', 257, 'latin1');
    h.write('00', 263, 'latin1');
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  return gzipSync(Buffer.concat([...blocks, Buffer.alloc(1024)]));
}

const names = Array.from({ length: 100 }, (_, i) => `name${i}`);
const dataset = (args: string[]) => runCli(['dataset', ...args, '--datasets-dir', datasets]);

describe('slca dataset', () => {
  it('imports a CIFAR-100 .tar.gz into datasets/<name>/, lists it and shows class counts per split', () => {
    const archive = join(dir, 'cifar-100-binary.tar.gz');
    writeFileSync(
      archive,
      tarGz({
        'cifar-100-binary/train.bin': cifarBin(2),
        'cifar-100-binary/test.bin': cifarBin(1),
        'cifar-100-binary/fine_label_names.txt': Buffer.from(`${names.join('\n')}\n`),
      }),
    );
    const r = dataset(['import', '--format', 'cifar100', '--path', archive, '--name', 'cifar-tiny']);
    expect(r.stderr).toContain('warning: CIFAR-100: 200 train images, the official release has 50,000');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('imported cifar100 as cifar-tiny: 100 classes, 200 train / 100 test images');
    const folder = join(datasets, 'cifar-tiny');
    expect(readdirSync(folder).sort()).toEqual(['dataset.json', 'manifest.json', 'test', 'train']);
    expect(readdirSync(join(folder, 'train'))).toHaveLength(200);
    const record = JSON.parse(readFileSync(join(folder, 'dataset.json'), 'utf8')) as Record<string, unknown>;
    expect(record).toMatchObject({
      schema: 'slca.imported-dataset/v1',
      format: 'cifar100',
      root: '.',
      train: 200,
    });
    expect(readdirSync(datasets)).toEqual(['cifar-tiny']); // no staging folder left behind

    const list = dataset(['list']);
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(
      /^name\s+format\s+classes\s+train\s+test\s+manifest\ncifar-tiny\s+cifar100\s+100\s+200\s+100\s+[0-9a-f]{12}\n$/,
    );

    expect(JSON.parse(dataset(['list', '--json']).stdout)).toEqual({
      datasets: [
        {
          name: 'cifar-tiny',
          format: 'cifar100',
          classes: 100,
          train: 200,
          test: 100,
          manifestDigest: record.manifestDigest,
        },
      ],
    });

    const show = dataset(['show', 'cifar-tiny']);
    expect(show.status).toBe(0);
    expect(show.stdout).toContain(`manifest sha256: ${record.manifestDigest as string}`);
    expect(show.stdout).toMatch(/\nid\s+class\s+train\s+test\n 0\s+name0\s+2\s+1\n/);
    expect(show.stdout).toMatch(/\n99\s+name99\s+2\s+1\n$/);
    const json = JSON.parse(dataset(['show', 'cifar-tiny', '--json']).stdout) as { classCounts: unknown[] };
    expect(json.classCounts[7]).toEqual({ id: 7, name: 'name7', train: 2, test: 1 });

    // The same archive imported again under the same name into another folder: the same manifest digest.
    const elsewhere = join(dir, 'elsewhere');
    const again = dataset([
      'import',
      '--format',
      'cifar100',
      '--path',
      archive,
      '--name',
      'cifar-tiny',
      '--out',
      elsewhere,
    ]);
    expect(again.status).toBe(0);
    const second = JSON.parse(readFileSync(join(elsewhere, 'dataset.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(second.manifestDigest).toBe(record.manifestDigest);
  });

  it('imports a CUB-200-2011 folder, recording the source folder as the root of its files', async () => {
    const root = join(dir, 'CUB_200_2011');
    const img = (v: number) =>
      sharp({ create: { width: 9, height: 7, channels: 3, background: { r: v, g: v, b: v } } })
        .jpeg()
        .toBuffer();
    mkdirSync(join(root, 'images', '001.A'), { recursive: true });
    mkdirSync(join(root, 'images', '002.B'), { recursive: true });
    writeFileSync(join(root, 'classes.txt'), '1 001.A\n2 002.B\n');
    writeFileSync(join(root, 'images.txt'), '1 001.A/1.jpg\n2 001.A/2.jpg\n3 002.B/3.jpg\n4 002.B/4.jpg\n');
    writeFileSync(join(root, 'image_class_labels.txt'), '1 1\n2 1\n3 2\n4 2\n');
    writeFileSync(join(root, 'train_test_split.txt'), '1 1\n2 0\n3 1\n4 0\n');
    for (const [i, path] of ['001.A/1.jpg', '001.A/2.jpg', '002.B/3.jpg', '002.B/4.jpg'].entries())
      writeFileSync(join(root, 'images', path), await img(i * 50));
    const r = dataset(['import', '--format', 'cub200', '--path', root, '--name', 'cub-tiny']);
    expect(r.status).toBe(0);
    const record = JSON.parse(readFileSync(join(datasets, 'cub-tiny', 'dataset.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(record.root).toBe(root);
    const show = dataset(['show', 'cub-tiny']);
    expect(show.stdout).toMatch(/0\s+001\.A\s+1\s+1\n\s*1\s+002\.B\s+1\s+1\n$/);
  });

  it('exits 2 with a clear message on user errors, leaving no partial dataset behind', () => {
    const broken = join(dir, 'broken');
    mkdirSync(broken);
    writeFileSync(join(broken, 'train.bin'), cifarBin(1).subarray(0, 3074 * 3 + 5));
    writeFileSync(join(broken, 'test.bin'), cifarBin(1));
    const cases: [string[], string][] = [
      [
        ['import', '--format', 'cifar100', '--path', broken, '--name', 'broken'],
        `slca: cifar100 ${broken}: train.bin: record 3 is truncated (5 of 3074 bytes; the file has 9227 bytes)`,
      ],
      [
        ['import', '--format', 'mnist', '--path', broken, '--name', 'x'],
        "--format must be one of cifar100, imagenet-r, cub200, cars196, got 'mnist'",
      ],
      [
        ['import', '--format', 'cub200', '--path', join(dir, 'nowhere'), '--name', 'x'],
        `--path ${join(dir, 'nowhere')} does not exist`,
      ],
      [
        ['import', '--format', 'cub200', '--path', broken, '--name', '../escape'],
        '--name must match ^[a-z0-9]',
      ],
      [
        ['import', '--format', 'cub200', '--path', broken, '--name', 'cifar-tiny'],
        'already exists and is not empty',
      ],
      [['show', 'nope'], `no dataset nope in ${datasets}/`],
    ];
    for (const [args, message] of cases) {
      const r = dataset(args);
      expect(r.stderr).toContain(message);
      expect(r.status).toBe(2);
    }
    expect(existsSync(join(datasets, 'broken'))).toBe(false);
    expect(readdirSync(datasets).filter((f) => f.includes('importing'))).toEqual([]);
  });
});
