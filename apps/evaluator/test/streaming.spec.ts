import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import {
  accuracyRowsPrefix,
  modelPrefix,
  putDataset,
  putModel,
  putRunConfig,
  putSplit,
  type RunConfigFile,
} from '@slca/artifacts';
import {
  buildSplit,
  decodeResizeCenterCrop,
  Mt19937,
  readFolderDataset,
  remapLabels,
  type DatasetManifest,
  type DatasetSplit,
  type DecodedImages,
  type ImageBytes,
} from '@slca/data';
import {
  DEFAULT_ALIGNMENT,
  encodeEvalModel,
  backboneLayout,
  evaluateSeenClasses,
  extractFeatures,
  loadManifestData,
  loadManifestSource,
  randomBackbone,
  type EvalModel,
  type ExperimentConfig,
  type Head,
  type ImageSet,
} from '@slca/engine';
import { initBackend, LocalDevice, type BackendInfo, type ComputeDevice, type VitArch } from '@slca/compute';
import {
  failure,
  startObjectStore,
  startServiceUnderTest,
  type ObjectStoreFixture,
  type ServiceUnderTest,
} from '@slca/stack';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvaluationService } from '../src/evaluation/evaluation.service';
import type { TestTransform } from '../src/evaluation/test-sets';

/** A 16 px ViT (4 patches of 8 px + CLS): the model size the test transform crops to. */
const ARCH: VitArch = { imageSize: 16, patchSize: 8, dim: 16, depth: 1, heads: 2, mlpDim: 32 };
const CLASSES = 5;
const TESTS_PER_CLASS = 10;
const TRANSFORM: TestTransform = { resize: 20, crop: 16 };

const experiment = (featureChunk: number): ExperimentConfig => ({
  method: 'slca',
  seed: 1993,
  arch: ARCH,
  initClasses: 3,
  increment: 2,
  stage1: {
    epochs: 1,
    milestones: [1],
    gamma: 0.1,
    batchSize: 4,
    lr: 0.05,
    backboneLrScale: 0.01,
    momentum: 0.9,
    weightDecay: 5e-4,
    freshFinalNorm: true,
    augment: null,
  },
  alignment: { ...DEFAULT_ALIGNMENT, epochs: 1, samplesPerClass: 8, batchSize: 8 },
  restoreHeadsAfterEval: true,
  covarianceRidge: 1e-4,
  compute: { backend: 'wasm', workers: 0, shards: 1, featureChunk },
  normalize: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
});

let stack: ObjectStoreFixture;
let service: ServiceUnderTest<'evaluator'>;
let backend: BackendInfo;
let dir: string;
let manifest: DatasetManifest;
let split: DatasetSplit;
const models: EvalModel[] = [];
const sizes = () => split.tasks.map((t) => t.classes.length);

/**
 * Five classes of source-size PNGs, 40×30 and 30×40 alternately (so the shorter side is either): a class
 * colour, a horizontal ramp and strong seeded noise (fitted heads score ~75%, not 100%), with a border the centre crop cuts away.
 */
async function writeSourceFolder(root: string): Promise<void> {
  const rng = new Mt19937(7);
  for (const [part, perClass] of [
    ['train', 1],
    ['test', TESTS_PER_CLASS],
  ] as const) {
    for (let c = 0; c < CLASSES; c++) {
      mkdirSync(join(root, part, `class-${c}`), { recursive: true });
      for (let i = 0; i < perClass; i++) {
        const [width, height] = i % 2 === 0 ? [40, 30] : [30, 40];
        const pixels = Buffer.alloc(width * height * 3);
        for (let y = 0; y < height; y++)
          for (let x = 0; x < width; x++)
            for (let ch = 0; ch < 3; ch++) {
              const border = x < 3 || y < 3 || x >= width - 3 || y >= height - 3;
              const base = border ? 250 : 60 + (ch === c % 3 ? 20 : 0) + 4 * c + (x * 40) / width;
              pixels[(y * width + x) * 3 + ch] = Math.min(255, Math.round(base + 150 * rng.randomSample()));
            }
        const png = await sharp(pixels, { raw: { width, height, channels: 3 } })
          .png()
          .toBuffer();
        writeFileSync(join(root, part, `class-${c}`, `${String(i).padStart(2, '0')}.png`), png);
      }
    }
  }
}

/**
 * The model "after task t": a random backbone, and heads fitted to it so that predictions depend on the
 * pixels (a random head predicts one class for every image): class k's column is the mean feature of
 * class k's test images through the transform, less the mean over classes, so argmax is a nearest mean.
 */
async function fittedModel(task: number, seed: number): Promise<EvalModel> {
  const backbone = randomBackbone(ARCH, new Mt19937(seed));
  const finalNormEps = 1e-6;
  const device = new LocalDevice();
  const layout = backboneLayout(ARCH);
  await device.setModel(
    { arch: ARCH, layout: layout.toJSON(), finalNormEps, trainBackbone: false },
    backbone.slice(),
  );
  const test = inProcessSource((inputs) => decodeResizeCenterCrop(inputs, TRANSFORM));
  const rows = [...Array(test.count).keys()];
  const normalize = experiment(5).normalize;
  const feats = await extractFeatures(device, test, rows, { arch: ARCH, normalize, featureChunk: 10 });
  await device.close();
  const relabel = remapLabels(split.classOrder);
  const { dim } = ARCH;
  const means = Array.from({ length: CLASSES }, () => new Float64Array(dim));
  rows.forEach((r) => {
    const k = relabel[test.labels[r]];
    for (let d = 0; d < dim; d++) means[k][d] += feats[r * dim + d] / TESTS_PER_CLASS;
  });
  const centre = new Float64Array(dim);
  for (const m of means) for (let d = 0; d < dim; d++) centre[d] += m[d] / CLASSES;
  const heads: Head[] = [];
  let first = 0;
  for (const classes of sizes().slice(0, task + 1)) {
    const weight = new Float32Array(dim * classes);
    for (let d = 0; d < dim; d++)
      for (let j = 0; j < classes; j++) weight[d * classes + j] = means[first + j][d] - centre[d];
    heads.push({ classes, weight, bias: new Float32Array(classes) });
    first += classes;
  }
  return { task, backbone, finalNormEps, heads };
}

async function registerRun(
  runId: string,
  testTransform: unknown,
  featureChunk = 5,
  withModels = true,
): Promise<void> {
  await putRunConfig(stack.store, {
    runId,
    benchmark: 'stream',
    dataset: 'stream',
    splitId: split.id,
    imageSize: ARCH.imageSize,
    experiment: experiment(featureChunk) as unknown as Record<string, unknown>,
    ...(testTransform === undefined
      ? {}
      : { testTransform: testTransform as RunConfigFile['testTransform'] }),
    createdAt: '2026-01-01T00:00:00.000Z',
  });
  if (withModels)
    for (const model of models)
      await putModel(stack.store, runId, model.task, encodeEvalModel(model), { task: model.task });
}

/** Test images the engine's lazy source reads from the folder, as the CLI's paper path builds its data. */
function inProcessSource(decode: (inputs: (string | ImageBytes)[]) => Promise<DecodedImages>): ImageSet {
  return loadManifestSource({ ...manifest, train: [] }, ARCH.imageSize, decode, (file) => join(dir, file))
    .test;
}

/** What the trainer (or the CLI) computes in-process: the engine's evaluation of the model on `test`. */
function inProcess(
  model: EvalModel,
  test: ImageSet,
  featureChunk = 5,
  device: ComputeDevice = new LocalDevice(),
) {
  const relabel = remapLabels(split.classOrder);
  return evaluateSeenClasses({
    device,
    arch: ARCH,
    normalize: experiment(featureChunk).normalize,
    featureChunk,
    backbone: model.backbone,
    finalNormEps: model.finalNormEps,
    heads: model.heads,
    test,
    testLabels: Int32Array.from(test.labels, (l) => relabel[l]),
    sizes: sizes(),
    task: model.task,
  });
}

/**
 * Counts decoded images from the moment a decode starts until the device has taken their features: the
 * most ever held at once, the largest decode call, the most decodes running together.
 */
function instrument() {
  const stats = {
    held: 0,
    maxHeld: 0,
    largestChunk: 0,
    decodes: 0,
    maxDecodes: 0,
    decoded: 0,
    maxFeatures: 0,
  };
  const decode = async (inputs: (string | ImageBytes)[], transform: TestTransform) => {
    stats.held += inputs.length;
    stats.maxHeld = Math.max(stats.maxHeld, stats.held);
    stats.largestChunk = Math.max(stats.largestChunk, inputs.length);
    stats.decodes++;
    stats.maxDecodes = Math.max(stats.maxDecodes, stats.decodes);
    stats.decoded += inputs.length;
    try {
      return await decodeResizeCenterCrop(inputs, transform);
    } finally {
      stats.decodes--;
    }
  };
  const device = () => {
    const local = new LocalDevice();
    const features = local.features.bind(local);
    local.features = async (chunks) => {
      const images = chunks.reduce((n, c) => n + c.count, 0);
      stats.maxFeatures = Math.max(stats.maxFeatures, images);
      const out = await features(chunks);
      stats.held -= images;
      return out;
    };
    return local;
  };
  return { stats, decode, device };
}

beforeAll(async () => {
  stack = await startObjectStore('stream');
  dir = join(stack.directory, 'stream');
  await writeSourceFolder(dir);
  manifest = await readFolderDataset(dir, 'stream', { imageSize: ARCH.imageSize });
  await putDataset(stack.store, manifest, (file) => readFile(join(dir, file)));
  split = buildSplit(manifest, 1993, 3, 2);
  await putSplit(stack.store, split);
  backend = await initBackend('wasm');
  for (let t = 0; t < split.tasks.length; t++) models.push(await fittedModel(t, 300 + t));
  await registerRun('run-stream', TRANSFORM);
  await registerRun('run-plain', null);
  // The service process streams at most 8 decoded images at a time (from its environment).
  process.env.SLCA_EVALUATOR_STREAM_IMAGES = '8';
  try {
    service = await startServiceUnderTest('evaluator', stack, 30_000);
  } finally {
    delete process.env.SLCA_EVALUATOR_STREAM_IMAGES;
  }
}, 60_000);

afterAll(async () => {
  const code = await service?.stop();
  await stack?.close();
  expect(code).toBe(0);
});

const evaluate = (runId: string, task: number) =>
  service.client.evaluateCheckpoint({
    runId,
    task,
    checkpointPrefix: modelPrefix(runId, task),
  });

describe('a run with a test transform: the evaluator streams Resize → CenterCrop from source size', () => {
  it('gives the in-process (loadManifestSource + decodeResizeCenterCrop) evaluation bit for bit, over gRPC', async () => {
    const lazy = inProcessSource((inputs) => decodeResizeCenterCrop(inputs, TRANSFORM));
    const plain = (await loadManifestData({ ...manifest, train: [] }, ARCH.imageSize, (f) => join(dir, f)))
      .test;
    for (const model of models) {
      const expected = await inProcess(model, lazy);
      const response = await evaluate('run-stream', model.task);
      expect(response.accuracy).toBe(expected.accuracy);
      expect(response.perTask).toEqual(expected.perTask);
      expect(response.perTask).toHaveLength(model.task + 1);
      // Without a transform the same run is the plain resize to imageSize (today's behaviour), as in-process.
      const plainExpected = await inProcess(model, plain);
      const plainResponse = await evaluate('run-plain', model.task);
      expect(plainResponse.accuracy).toBe(plainExpected.accuracy);
      expect(plainResponse.perTask).toEqual(plainExpected.perTask);
      // The heads fit the transformed view: read through the plain resize, the same model scores lower.
      expect(plainResponse.accuracy).toBeLessThan(response.accuracy);
    }
    // The transform matters: the two views of the images are different pixels.
    if (!('source' in lazy) || !('images' in plain)) throw new Error('expected a lazy and a decoded set');
    expect(await lazy.source.read([0, 1, 2])).not.toEqual(plain.images.slice(0, 3 * 16 * 16 * 3));
  });

  it('refuses an unusable testTransform with FAILED_PRECONDITION naming the field, storing no row', async () => {
    const cases: [string, unknown, string][] = [
      ['run-bad-order', { resize: 16, crop: 20 }, 'testTransform.crop'],
      ['run-bad-resize', { resize: 0, crop: 16 }, 'testTransform.resize'],
      ['run-bad-fraction', { resize: 20.5, crop: 16 }, 'testTransform.resize'],
      ['run-bad-size', { resize: 24, crop: 12 }, 'testTransform.crop'],
      ['run-bad-shape', 'resize 20', 'testTransform'],
    ];
    for (const [runId, transform, field] of cases) {
      await registerRun(runId, transform, 5, false);
      await putModel(stack.store, runId, 0, encodeEvalModel(models[0]), { task: 0 });
      const error = await failure(evaluate(runId, 0));
      expect(error.code).toBe(status.FAILED_PRECONDITION);
      expect(error.details).toContain(`${field} must`);
      expect(await stack.store.list(accuracyRowsPrefix(runId))).toEqual([]);
    }
  });
});

describe('streaming holds a bounded number of decoded images (the evaluator service’s code, instrumented)', () => {
  const last = () => models[models.length - 1];

  it('50 test images with at most 8 in flight: the bound holds and the accuracies are the in-process ones', async () => {
    for (const [runId, featureChunk] of [
      ['run-budget-5', 5],
      ['run-budget-64', 64],
    ] as const) {
      await registerRun(runId, TRANSFORM, featureChunk);
      const probe = instrument();
      const evaluator = new EvaluationService(stack.store, backend, {
        streamImages: 8,
        decode: probe.decode,
        device: probe.device,
      });
      const response = await evaluator.evaluate(runId, last().task, modelPrefix(runId, last().task));
      // The last task has seen every class: all 50 images are decoded, each once, never more than 8 held.
      expect(probe.stats.decoded).toBe(CLASSES * TESTS_PER_CLASS);
      expect(probe.stats.largestChunk).toBe(Math.min(featureChunk, 8));
      expect(probe.stats.maxHeld).toBeLessThanOrEqual(8);
      expect(probe.stats.maxFeatures).toBeLessThanOrEqual(8);
      expect(probe.stats.maxDecodes).toBe(1);
      expect(probe.stats.held).toBe(0);
      // Against the in-process engine path at the run's own featureChunk (which holds up to 8 chunks).
      const reference = instrument();
      const expected = await inProcess(
        last(),
        inProcessSource((inputs) => reference.decode(inputs, TRANSFORM)),
        featureChunk,
        reference.device(),
      );
      expect(reference.stats.maxHeld).toBe(Math.min(8 * featureChunk, CLASSES * TESTS_PER_CLASS));
      expect(response.accuracy).toBe(expected.accuracy);
      expect(response.perTask).toEqual(expected.perTask);
      // An earlier task reads only its seen classes' images.
      const early = instrument();
      const first = await new EvaluationService(stack.store, backend, {
        streamImages: 8,
        decode: early.decode,
        device: early.device,
      }).evaluate(runId, 0, modelPrefix(runId, 0));
      expect(early.stats.decoded).toBe(split.tasks[0].test.length);
      expect(early.stats.maxHeld).toBeLessThanOrEqual(8);
      const firstExpected = await inProcess(
        models[0],
        inProcessSource((i) => decodeResizeCenterCrop(i, TRANSFORM)),
        featureChunk,
      );
      expect(first.accuracy).toBe(firstExpected.accuracy);
      expect(first.perTask).toEqual(firstExpected.perTask);
    }
  });

  it('a plain set larger than the cache budget is streamed too (same numbers as decoding it whole)', async () => {
    await registerRun('run-plain-big', null);
    const probe = instrument();
    const evaluator = new EvaluationService(stack.store, backend, {
      cachePixels: 10 * ARCH.imageSize * ARCH.imageSize,
      streamImages: 8,
      device: probe.device,
    });
    const response = await evaluator.evaluate(
      'run-plain-big',
      last().task,
      modelPrefix('run-plain-big', last().task),
    );
    // Decoded whole, the engine would hand the device 8 chunks of 5 (40 images) at once.
    expect(probe.stats.maxFeatures).toBeLessThanOrEqual(8);
    const plain = (await loadManifestData({ ...manifest, train: [] }, ARCH.imageSize, (f) => join(dir, f)))
      .test;
    const expected = await inProcess(last(), plain);
    expect(response.accuracy).toBe(expected.accuracy);
    expect(response.perTask).toEqual(expected.perTask);
  });
});
