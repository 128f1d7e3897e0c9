import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { sha256Hex, splitFileKey } from '@slca/artifacts';
import {
  type CreateSplitRequest,
  type Dataset,
  type ImportBenchmarkDatasetRequest,
  type ImportFolderDatasetRequest,
} from '@slca/contracts';
import {
  buildSplit,
  importDataset,
  loadSplitEmojiManifest,
  manifestDigest,
  readFolderDataset,
  type ImportFormat,
} from '@slca/data';
import { EMBEDDED_ARCH } from '@slca/engine';
import { checkHealth, INVALID_FIELD_METADATA_KEY } from '@slca/service-kit';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  failure,
  present,
  startServiceUnderTest,
  startObjectStore as startStack,
  type ObjectStoreFixture as Stack,
  type ServiceUnderTest,
} from '@slca/stack';

let stack: Stack;
let service: ServiceUnderTest<'splitter'>;
let client: ServiceUnderTest<'splitter'>['client'];
/** The service's TMPDIR, to see that benchmark imports leave no temporary folder behind. */
let serviceTmp: string;

beforeAll(async () => {
  stack = await startStack();
  serviceTmp = join(stack.directory, 'service-tmp');
  mkdirSync(serviceTmp);
  // Only the test's own folder is a dataset root: the refusals of paths outside it are tested below.
  const env = { ...stack.env, TMPDIR: serviceTmp, SLCA_DATASET_ROOTS: stack.directory };
  service = await startServiceUnderTest('splitter', { ...stack, env }, 60_000);
  client = service.client;
}, 60_000);

afterAll(async () => {
  const code = await service?.stop();
  await stack?.close();
  // SIGTERM drains and exits cleanly.
  expect(code).toBe(0);
});

/** A tiny PNG whose colour encodes (class, index), so every file differs. */
const png = (c: number, i: number) =>
  sharp({
    create: { width: 8, height: 8, channels: 3, background: { r: 40 * c, g: 20 * i, b: 200 - 30 * c } },
  })
    .png()
    .toBuffer();

/** `<dir>/{train,test}/<class>/<n>.png` with `train` and `test` images per class. */
async function writeFolder(dir: string, classes: string[], train = 2, test = 1): Promise<string> {
  for (const [split, count] of [
    ['train', train],
    ['test', test],
  ] as const) {
    for (const [c, name] of classes.entries()) {
      mkdirSync(join(dir, split, name), { recursive: true });
      for (let i = 0; i < count; i++)
        writeFileSync(join(dir, split, name, `${i}.png`), await png(c, i + (split === 'test' ? 5 : 0)));
    }
  }
  return dir;
}

/**
 * A CIFAR-100 binary file in the official format: `records` records of 1 coarse byte, 1 fine byte and the
 * R, G, B planes (1024 bytes each); record r has fine label r mod 100 and pixels that differ per (salt, r).
 */
function cifarBin(salt: number, records = 100): Buffer {
  const out = Buffer.alloc(records * 3074);
  for (let r = 0; r < records; r++) {
    const at = r * 3074;
    out[at] = r % 20;
    out[at + 1] = r % 100;
    for (let i = 0; i < 3072; i++) out[at + 2 + i] = (31 * r + 7 * i) % 256;
    // The first two red pixels name the record, so no two images share their bytes.
    out[at + 2] = salt;
    out[at + 3] = r;
  }
  return out;
}

const CIFAR_NAMES = Array.from({ length: 100 }, (_, i) => `fine-${String(i).padStart(2, '0')}`);

/** `<dir>/train.bin`, `test.bin` (one record per class each) and `fine_label_names.txt`. */
function writeCifar(dir: string, train = cifarBin(0), test = cifarBin(1)): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'train.bin'), train);
  writeFileSync(join(dir, 'test.bin'), test);
  writeFileSync(join(dir, 'fine_label_names.txt'), `${CIFAR_NAMES.join('\n')}\n`);
  return dir;
}

/** A CUB-200-2011 release folder with 2 classes of 2 JPEGs, one train and one test each. */
async function writeCub(dir: string): Promise<string> {
  const tables: Record<string, string> = {
    'classes.txt': '1 001.Black_footed_Albatross\n2 002.Laysan_Albatross\n',
    'images.txt':
      '1 001.Black_footed_Albatross/a_1.jpg\n2 001.Black_footed_Albatross/a_2.jpg\n' +
      '3 002.Laysan_Albatross/b_3.jpg\n4 002.Laysan_Albatross/b_4.jpg\n',
    'image_class_labels.txt': '1 1\n2 1\n3 2\n4 2\n',
    'train_test_split.txt': '1 1\n2 0\n3 0\n4 1\n',
  };
  for (const [file, text] of Object.entries(tables)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  for (const [i, path] of [
    '001.Black_footed_Albatross/a_1.jpg',
    '001.Black_footed_Albatross/a_2.jpg',
    '002.Laysan_Albatross/b_3.jpg',
    '002.Laysan_Albatross/b_4.jpg',
  ].entries()) {
    mkdirSync(dirname(join(dir, 'images', path)), { recursive: true });
    const background = { r: 30 * i, g: 60, b: 200 - 30 * i };
    const jpeg = await sharp({ create: { width: 12, height: 10, channels: 3, background } })
      .jpeg()
      .toBuffer();
    writeFileSync(join(dir, 'images', path), jpeg);
  }
  return dir;
}

/** The manifest the library makes of the same files, for the digest the service must report. */
async function localImport(format: ImportFormat, path: string, name: string) {
  const outDir = join(stack.directory, `local-${name}`);
  return (await importDataset(format, path, { name, outDir })).manifest;
}

async function expectInvalid(promise: Promise<unknown>, field: string, message?: RegExp) {
  const error = await failure(promise);
  expect(error.code).toBe(status.INVALID_ARGUMENT);
  expect(error.metadata.get(INVALID_FIELD_METADATA_KEY)).toEqual([field]);
  expect(error.details.startsWith(`${field}: `)).toBe(true);
  if (message) expect(error.details).toMatch(message);
}

const storedKeys = (prefix = '') => stack.store.list(prefix);

describe('splitter over gRPC, as its own process', () => {
  it('reports SERVING on grpc.health.v1 (its plain-text health port) for the server and for SplitterService', async () => {
    expect(await checkHealth(service.healthAddress)).toBe('SERVING');
    expect(await checkHealth(service.healthAddress, 'slca.v1.SplitterService')).toBe('SERVING');
    expect(service.address).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('refuses bad folder imports with the field named, and stores nothing', async () => {
    const good = await writeFolder(join(stack.directory, 'good'), ['apple', 'pear']);
    const request = (over: Partial<ImportFolderDatasetRequest>) =>
      client.importFolderDataset({ name: 'fruit', path: good, imageSize: 8, ...over });
    await expectInvalid(request({ name: '' }), 'name');
    await expectInvalid(request({ name: 'Fruit/../x' }), 'name');
    await expectInvalid(request({ path: '' }), 'path');
    await expectInvalid(request({ path: 'relative/folder' }), 'path', /absolute/);
    await expectInvalid(request({ imageSize: 0 }), 'image_size');
    await expectInvalid(request({ imageSize: 100_000 }), 'image_size');
    await expectInvalid(request({ path: join(stack.directory, 'missing') }), 'path', /does not exist/);

    // A truncated PNG: refused, naming the file.
    const truncated = await writeFolder(join(stack.directory, 'truncated'), ['apple', 'pear']);
    const whole = await png(1, 7);
    writeFileSync(join(truncated, 'test/pear/0.png'), whole.subarray(0, Math.floor(whole.length / 2)));
    await expectInvalid(request({ path: truncated }), 'path', /test\/pear\/0\.png/);

    // A class with no test images: refused, naming the class.
    const empty = await writeFolder(join(stack.directory, 'empty'), ['apple', 'pear']);
    mkdirSync(join(empty, 'train/plum'));
    mkdirSync(join(empty, 'test/plum'));
    writeFileSync(join(empty, 'train/plum/0.png'), await png(2, 0));
    await expectInvalid(request({ path: empty }), 'path', /class plum has no test images/);

    expect(await storedKeys('datasets/')).toEqual([]);
  });

  it('reads paths only under its dataset roots, and a refusal outside them says nothing of what is there', async () => {
    const inside = await writeFolder(join(stack.directory, 'roots-inside'), ['apple', 'pear']);
    // Outside the root: an existing folder, a missing one, a system file, a `..` escape and a link inside
    // the root pointing out; the same words for each, whatever is or is not at the path.
    const outsideDir = mkdtempSync(join(tmpdir(), 'slca-outside-root-'));
    const outside = await writeFolder(join(outsideDir, 'data'), ['apple', 'pear']);
    symlinkSync(outside, join(stack.directory, 'roots-link'));
    const refusals = [
      outside,
      join(outsideDir, 'missing'),
      '/etc/passwd',
      '/root',
      `${inside}/../../${basename(outsideDir)}/data`,
      join(stack.directory, 'roots-link'),
      join(stack.directory, 'roots-link', 'train'),
    ];
    const said = new Set<string>();
    for (const path of refusals) {
      for (const call of [
        client.importFolderDataset({ name: 'roots', path, imageSize: 8 }),
        client.importBenchmarkDataset({ name: 'roots', format: 'cifar100', path }),
        client.registerBackbone({ name: 'roots', arch: 'vit-b16', path }),
      ]) {
        const error = await failure(call);
        expect(error.code).toBe(status.INVALID_ARGUMENT);
        expect(error.metadata.get(INVALID_FIELD_METADATA_KEY)).toEqual(['path']);
        said.add(error.details.replace(path, '<path>'));
      }
    }
    expect([...said]).toEqual([
      `path: <path> is not under the splitter's dataset roots (${stack.directory})`,
    ]);

    // Under the root, even written with `..` that stays inside, the import goes ahead.
    const { dataset } = await client.importFolderDataset({
      name: 'roots-inside',
      path: join(inside, '..', 'roots-inside'),
      imageSize: 8,
    });
    expect(present(dataset).classes.map((c) => c.name)).toEqual(['apple', 'pear']);
    expect(await storedKeys('datasets/roots/')).toEqual([]);
    rmSync(outsideDir, { recursive: true });
  });

  let fruit: Dataset;
  it('imports a folder dataset, idempotently, and refuses other files under the same name', async () => {
    const dir = await writeFolder(join(stack.directory, 'fruit'), ['apple', 'pear', 'plum', 'fig'], 3, 2);
    const response = await client.importFolderDataset({
      name: 'fruit',
      path: dir,
      imageSize: 16,
    });
    fruit = present(response.dataset);
    const expected = await readFolderDataset(dir, 'fruit', { imageSize: 16 });
    expect(fruit).toMatchObject({ name: 'fruit', imageSize: 16, trainCount: 12, testCount: 8 });
    expect(fruit.classes).toEqual(
      ['apple', 'fig', 'pear', 'plum'].map((name, id) => ({ id, name, trainCount: 3, testCount: 2 })),
    );
    const manifestKey = 'datasets/fruit/manifest.json';
    const manifestBytes = await stack.store.get(manifestKey);
    expect(fruit.artifact).toMatchObject({
      prefix: 'datasets/fruit',
      manifest: { key: manifestKey, size: manifestBytes.length, sha256: sha256Hex(manifestBytes) },
    });
    // 20 distinct images (content-addressed) + dataset.json, each listed with its digest.
    expect(present(fruit.artifact).files).toHaveLength(21);
    for (const file of present(fruit.artifact).files.slice(0, 3))
      expect(sha256Hex(await stack.store.get(file.key))).toBe(file.sha256);

    const again = await client.importFolderDataset({
      name: 'fruit',
      path: dir,
      imageSize: 16,
    });
    expect(again.dataset).toEqual(fruit);
    expect(fruit.manifestDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(expected.train).toHaveLength(12);

    const other = await writeFolder(join(stack.directory, 'other'), ['apple', 'pear']);
    const before = await storedKeys('datasets/');
    const error = await failure(client.importFolderDataset({ name: 'fruit', path: other, imageSize: 16 }));
    expect(error.code).toBe(status.ALREADY_EXISTS);
    expect(await storedKeys('datasets/')).toEqual(before);
  });

  it('gets and lists datasets; NOT_FOUND for an unknown one', async () => {
    expect((await client.getDataset({ name: 'fruit' })).dataset).toEqual(fruit);
    expect((await client.listDatasets({})).datasets.map((d) => d.name)).toContain('fruit');
    expect((await failure(client.getDataset({ name: 'nope' }))).code).toBe(status.NOT_FOUND);
    await expectInvalid(client.getDataset({ name: '' }), 'name');
  });

  it('creates a split as buildSplit cuts it, idempotently; refuses bad sizes and unknown datasets', async () => {
    const request: CreateSplitRequest = { dataset: 'fruit', seed: 1993, initClasses: 2, increment: 1 };
    const { split } = await client.createSplit(request);
    const manifest = await readFolderDataset(join(stack.directory, 'fruit'), 'fruit', { imageSize: 16 });
    const expected = buildSplit(manifest, 1993, 2, 1);
    expect(split).toMatchObject({
      id: expected.id,
      dataset: 'fruit',
      seed: 1993,
      classOrder: expected.classOrder,
    });
    expect(present(split).tasks).toEqual(
      expected.tasks.map((t) => ({
        index: t.index,
        classes: t.classes,
        trainCount: t.train.length,
        testCount: t.test.length,
      })),
    );
    expect(present(present(split).artifact).prefix).toBe(`splits/${expected.id}`);
    expect((await client.createSplit(request)).split).toEqual(split);
    expect((await client.getSplit({ id: expected.id })).split).toEqual(split);

    const before = await storedKeys('splits/');
    await expectInvalid(client.createSplit({ ...request, initClasses: 0 }), 'init_classes');
    await expectInvalid(client.createSplit({ ...request, initClasses: -3 }), 'init_classes');
    await expectInvalid(client.createSplit({ ...request, initClasses: 5 }), 'init_classes', /4 classes/);
    await expectInvalid(client.createSplit({ ...request, increment: 0 }), 'increment');
    await expectInvalid(client.createSplit({ ...request, increment: 9 }), 'increment', /4 classes/);
    await expectInvalid(client.createSplit({ ...request, dataset: 'Fruit' }), 'dataset');
    expect((await failure(client.createSplit({ ...request, dataset: 'nope' }))).code).toBe(status.NOT_FOUND);
    expect(await storedKeys('splits/')).toEqual(before);

    expect((await failure(client.getSplit({ id: 'fruit.seed1.init1.inc1' }))).code).toBe(status.NOT_FOUND);
    await expectInvalid(client.getSplit({ id: '' }), 'id');
  });

  it('answers DATA_LOSS when a stored split no longer matches its manifest', async () => {
    const { split } = await client.createSplit({
      dataset: 'fruit',
      seed: 7,
      initClasses: 1,
      increment: 1,
    });
    await stack.store.put(splitFileKey(present(split).id, 'split.json'), Buffer.from('{"tampered":true}\n'));
    const error = await failure(client.getSplit({ id: present(split).id }));
    expect(error.code).toBe(status.DATA_LOSS);
    expect(error.details).toContain('split.json');
  });

  let cifar: Dataset;
  it('imports a CIFAR-100 binary release and a CUB-200-2011 folder as the library does; lists, gets and splits them', async () => {
    const cifarDir = writeCifar(join(stack.directory, 'cifar-100-binary'));
    const importCifar = () =>
      client.importBenchmarkDataset({
        name: 'cifar-tiny',
        format: 'cifar100',
        path: cifarDir,
      });
    const cifarImport = await importCifar();
    cifar = present(cifarImport.dataset);
    // A subset of the release is imported, and the response says how it departs from the official one.
    expect(cifarImport.warnings).toEqual([
      'CIFAR-100: 100 train images, the official release has 50,000',
      'CIFAR-100: 100 test images, the official release has 10,000',
    ]);
    const cifarManifest = await localImport('cifar100', cifarDir, 'cifar-tiny');
    expect(cifar).toMatchObject({
      name: 'cifar-tiny',
      imageSize: 32,
      trainCount: 100,
      testCount: 100,
      manifestDigest: manifestDigest(cifarManifest),
    });
    expect(cifar.classes).toEqual(CIFAR_NAMES.map((name, id) => ({ id, name, trainCount: 1, testCount: 1 })));
    // 200 distinct PNGs (content-addressed) + dataset.json.
    expect(present(cifar.artifact).files).toHaveLength(201);

    const cubDir = await writeCub(join(stack.directory, 'CUB_200_2011'));
    const importCub = () =>
      client.importBenchmarkDataset({
        name: 'cub-tiny',
        format: 'cub200',
        path: cubDir,
      });
    const cubImport = await importCub();
    const cub = present(cubImport.dataset);
    expect(cubImport.warnings).toEqual([
      'CUB-200-2011: 2 classes, the official release has 200',
      'CUB-200-2011: 2 train images, the official release has 5,994',
      'CUB-200-2011: 2 test images, the official release has 5,794',
    ]);
    const cubManifest = await localImport('cub200', cubDir, 'cub-tiny');
    // The JPEGs keep their source sizes: image_size 0.
    expect(cub).toMatchObject({
      name: 'cub-tiny',
      imageSize: 0,
      trainCount: 2,
      testCount: 2,
      manifestDigest: manifestDigest(cubManifest),
    });
    expect(cub.classes).toEqual([
      { id: 0, name: '001.Black_footed_Albatross', trainCount: 1, testCount: 1 },
      { id: 1, name: '002.Laysan_Albatross', trainCount: 1, testCount: 1 },
    ]);

    // Again: the same manifest digest, the stored dataset returned as it was.
    expect((await importCifar()).dataset).toEqual(cifar);
    expect((await importCub()).dataset).toEqual(cub);

    expect((await client.getDataset({ name: 'cifar-tiny' })).dataset).toEqual(cifar);
    expect((await client.getDataset({ name: 'cub-tiny' })).dataset).toEqual(cub);
    const listed = (await client.listDatasets({})).datasets;
    expect(listed.filter((d) => d.name.endsWith('-tiny'))).toEqual([cifar, cub]);

    for (const [dataset, manifest, init, increment] of [
      ['cifar-tiny', cifarManifest, 10, 10],
      ['cub-tiny', cubManifest, 1, 1],
    ] as const) {
      const { split } = await client.createSplit({
        dataset,
        seed: 1993,
        initClasses: init,
        increment,
      });
      const expected = buildSplit(manifest, 1993, init, increment);
      expect(split).toMatchObject({ id: expected.id, dataset, classOrder: expected.classOrder });
      expect(present(split).tasks.map((t) => [t.classes, t.trainCount, t.testCount])).toEqual(
        expected.tasks.map((t) => [t.classes, t.train.length, t.test.length]),
      );
    }
    expect(readdirSync(serviceTmp).filter((f) => f.startsWith('slca-import-'))).toEqual([]);
  });

  it("refuses bad benchmark imports with the field named and the importer's message, and stores nothing", async () => {
    const cifarDir = join(stack.directory, 'cifar-100-binary');
    const request = (over: Partial<ImportBenchmarkDatasetRequest>) =>
      client.importBenchmarkDataset({ name: 'cifar-bad', format: 'cifar100', path: cifarDir, ...over });
    const before = await storedKeys('datasets/');
    const listedBefore = (await client.listDatasets({})).datasets;

    await expectInvalid(
      request({ format: 'mnist' }),
      'format',
      /one of cifar100, imagenet-r, cub200, cars196/,
    );
    await expectInvalid(request({ format: '' }), 'format');
    await expectInvalid(request({ name: '' }), 'name');
    await expectInvalid(request({ path: 'relative/cifar' }), 'path', /absolute/);
    await expectInvalid(request({ path: join(stack.directory, 'missing') }), 'path', /does not exist/);

    const label100 = cifarBin(1);
    label100[3074 * 7 + 1] = 100;
    const badLabel = writeCifar(join(stack.directory, 'cifar-label-100'), cifarBin(0), label100);
    await expectInvalid(
      request({ path: badLabel }),
      'path',
      /test\.bin: record 7 has fine label 100, expected 0\.\.99$/,
    );
    const truncated = writeCifar(join(stack.directory, 'cifar-truncated'), cifarBin(0).subarray(0, -10));
    await expectInvalid(
      request({ path: truncated }),
      'path',
      /train\.bin: record 99 is truncated \(3064 of 3074 bytes; the file has 307390 bytes\)$/,
    );
    // A CUB folder is not a CIFAR release, nor a CIFAR release a CUB folder.
    const cubDir = join(stack.directory, 'CUB_200_2011');
    await expectInvalid(request({ path: cubDir }), 'path', /has no train\.bin/);
    await expectInvalid(request({ format: 'cub200', path: cifarDir }), 'path', /has no classes\.txt/);

    // Other files under a registered name.
    const error = await failure(request({ name: 'cifar-tiny', format: 'cub200', path: cubDir }));
    expect(error.code).toBe(status.ALREADY_EXISTS);

    expect(await storedKeys('datasets/')).toEqual(before);
    expect((await client.listDatasets({})).datasets).toEqual(listedBefore);
    expect((await client.getDataset({ name: 'cifar-tiny' })).dataset).toEqual(cifar);
    expect(readdirSync(serviceTmp).filter((f) => f.startsWith('slca-import-'))).toEqual([]);
  });

  it('imports the embedded benchmark once, at the size the engine decodes it, then again for free', async () => {
    const started = performance.now();
    const { dataset } = await client.importEmbeddedDataset({});
    const firstMs = performance.now() - started;
    const shipped = loadSplitEmojiManifest();
    expect(dataset).toMatchObject({
      name: 'split-emoji',
      imageSize: EMBEDDED_ARCH.imageSize,
      trainCount: shipped.train.length,
      testCount: shipped.test.length,
    });
    expect(present(dataset).classes).toHaveLength(shipped.classes.length);
    expect(present(dataset).classes.every((c) => c.trainCount > 0 && c.testCount > 0)).toBe(true);

    const again = performance.now();
    expect((await client.importEmbeddedDataset({})).dataset).toEqual(dataset);
    const secondMs = performance.now() - again;
    console.log(
      `embedded import: ${present(present(dataset).artifact).files.length} objects in ${Math.round(firstMs)} ms; again in ${Math.round(secondMs)} ms`,
    );
    expect(secondMs).toBeLessThan(firstMs);
  }, 120_000);
});
