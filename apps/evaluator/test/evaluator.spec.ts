import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import {
  accuracyRowKey,
  accuracyRowsPrefix,
  modelPrefix,
  predictionsKey,
  MODEL_FILE,
  putAccuracyRow,
  putDataset,
  putModel,
  putRunConfig,
  putSplit,
  sha256Hex,
  writeArtifact,
  type AccuracyRow,
} from '@slca/artifacts';
import { type EvaluateCheckpointRequest } from '@slca/contracts';
import { buildSplit, Mt19937, readFolderDataset, remapLabels, type DatasetSplit } from '@slca/data';
import {
  DEFAULT_ALIGNMENT,
  encodeEvalModel,
  evaluateSeenClasses,
  featureMapOf,
  loadManifestData,
  newHead,
  randomBackbone,
  type EvalModel,
  type ExperimentConfig,
  type FeatureMap,
  type ImageSet,
} from '@slca/engine';
import { initBackend, LocalDevice, type VitArch } from '@slca/compute';
import { bwt, emptyMatrix, forgetting, incAcc, lastAcc, setRow } from '@slca/metrics';
import { checkHealth, INVALID_FIELD_METADATA_KEY } from '@slca/service-kit';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePredictions } from '../src/evaluation/predictions';
import {
  failure,
  present,
  startServiceUnderTest,
  startObjectStore as startStack,
  type ObjectStoreFixture as Stack,
  type ServiceUnderTest,
} from '@slca/stack';

/** A ViT small enough for a test: 8 px, 4 patches + CLS, dim 16 (the engine tests' tiny architecture). */
const ARCH: VitArch = { imageSize: 8, patchSize: 4, dim: 16, depth: 1, heads: 2, mlpDim: 32 };
const CLASSES = 6;
const RUN = 'run-eval';

const experiment: ExperimentConfig = {
  method: 'slca',
  seed: 1993,
  arch: ARCH,
  initClasses: 2,
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
    augment: { flipProb: 0.5, maxShift: 1 },
  },
  alignment: { ...DEFAULT_ALIGNMENT, epochs: 1, samplesPerClass: 8, batchSize: 8 },
  restoreHeadsAfterEval: true,
  covarianceRidge: 1e-4,
  compute: { backend: 'wasm', workers: 0, shards: 1, featureChunk: 5 },
  normalize: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
};

let stack: Stack;
let service: ServiceUnderTest<'evaluator'>;
let client: ServiceUnderTest<'evaluator'>['client'];
let split: DatasetSplit;
let test: ImageSet;
const models: EvalModel[] = [];

/** Six classes of 8×8 PNGs: a class colour plus seeded noise, so every image differs. */
async function writeTinyFolder(dir: string): Promise<void> {
  const rng = new Mt19937(11);
  for (const [part, perClass] of [
    ['train', 2],
    ['test', 4],
  ] as const) {
    for (let c = 0; c < CLASSES; c++) {
      mkdirSync(join(dir, part, `class-${c}`), { recursive: true });
      for (let i = 0; i < perClass; i++) {
        const pixels = Buffer.alloc(8 * 8 * 3);
        for (let p = 0; p < pixels.length; p++)
          pixels[p] = Math.min(
            255,
            (p % 3 === c % 3 ? 160 : 40) + 20 * (c >> 1) + Math.floor(60 * rng.randomSample()),
          );
        const png = await sharp(pixels, { raw: { width: 8, height: 8, channels: 3 } })
          .png()
          .toBuffer();
        writeFileSync(join(dir, part, `class-${c}`, `${i}.png`), png);
      }
    }
  }
}

/** The model "after task t": a random backbone and t+1 random heads of two classes each. */
function tinyModel(task: number, seed: number): EvalModel {
  const rng = new Mt19937(seed);
  return {
    task,
    backbone: randomBackbone(ARCH, rng),
    finalNormEps: 1e-6,
    heads: Array.from({ length: task + 1 }, () => newHead(ARCH.dim, 2, rng)),
  };
}

/** `tinyModel` with a pool of 3 prompts of 2 tokens and their keys (as L2P leaves them), top-2 per image. */
function promptedModel(task: number, seed: number): EvalModel {
  const model = tinyModel(task, seed);
  const rng = new Mt19937(seed + 1);
  const uniform = (n: number) => Float32Array.from({ length: n }, () => 2 * rng.randomSample() - 1);
  return {
    ...model,
    prompted: {
      spec: {
        kind: 'prompt-tuning',
        pool: 3,
        length: 2,
        topK: 2,
        readout: 'prompt-mean',
        keyLossWeight: 0.1,
      },
      tensors: [
        { name: 'prompt.pool', shape: [3, 2, ARCH.dim], values: uniform(3 * 2 * ARCH.dim) },
        { name: 'prompt.keys', shape: [3, ARCH.dim], values: uniform(3 * ARCH.dim) },
      ],
    },
  };
}

/** What the trainer computes in-process for a model: the same engine function on the same inputs. */
function inProcess(model: EvalModel, featureMap: FeatureMap | null = null) {
  const relabel = remapLabels(split.classOrder);
  return evaluateSeenClasses({
    device: new LocalDevice(),
    arch: ARCH,
    normalize: experiment.normalize,
    featureChunk: experiment.compute.featureChunk,
    backbone: model.backbone,
    finalNormEps: model.finalNormEps,
    heads: model.heads,
    prompted: model.prompted ?? null,
    featureMap,
    test,
    testLabels: Int32Array.from(test.labels, (l) => relabel[l]),
    sizes: split.tasks.map((t) => t.classes.length),
    task: model.task,
  });
}

async function registerRun(runId: string, config: ExperimentConfig = experiment): Promise<void> {
  await putRunConfig(stack.store, {
    runId,
    benchmark: 'tiny',
    dataset: 'tiny',
    splitId: split.id,
    imageSize: 8,
    experiment: config as unknown as Record<string, unknown>,
    createdAt: '2026-01-01T00:00:00.000Z',
  });
}

beforeAll(async () => {
  stack = await startStack();
  const dir = join(stack.directory, 'tiny');
  await writeTinyFolder(dir);
  const manifest = await readFolderDataset(dir, 'tiny', { imageSize: 8 });
  await putDataset(stack.store, manifest, (file) => readFile(join(dir, file)));
  split = buildSplit(manifest, 1993, 2, 2);
  await putSplit(stack.store, split);
  await registerRun(RUN);
  for (let t = 0; t < split.tasks.length; t++) {
    models.push(tinyModel(t, 100 + t));
    await putModel(stack.store, RUN, t, encodeEvalModel(models[t]), { task: t });
  }
  await initBackend('wasm');
  const decoded = await loadManifestData({ ...manifest, train: [] }, 8, (file) => join(dir, file));
  test = decoded.test;

  service = await startServiceUnderTest('evaluator', stack, 30_000);
  client = service.client;
}, 60_000);

afterAll(async () => {
  const code = await service?.stop();
  await stack?.close();
  expect(code).toBe(0);
});

const evaluate = (request: Partial<EvaluateCheckpointRequest>) =>
  client.evaluateCheckpoint({
    runId: RUN,
    task: 0,
    checkpointPrefix: modelPrefix(RUN, 0),
    ...request,
  });
const metricsOf = async (runId: string) => present((await client.getRunMetrics({ runId })).metrics);

async function expectInvalid(promise: Promise<unknown>, field: string) {
  const error = await failure(promise);
  expect(error.code).toBe(status.INVALID_ARGUMENT);
  expect(error.metadata.get(INVALID_FIELD_METADATA_KEY)).toEqual([field]);
}

const storedRows = () => stack.store.list(accuracyRowsPrefix(RUN));

describe('evaluator over gRPC, as its own process', () => {
  it('reports SERVING on grpc.health.v1 (its plain-text health port)', async () => {
    expect(await checkHealth(service.healthAddress)).toBe('SERVING');
    expect(await checkHealth(service.healthAddress, 'slca.v1.EvaluatorService')).toBe('SERVING');
  });

  it('refuses bad requests with the right status and stores no row', async () => {
    await expectInvalid(evaluate({ runId: '' }), 'run_id');
    await expectInvalid(evaluate({ task: -1 }), 'task');
    await expectInvalid(evaluate({ task: split.tasks.length }), 'task');
    await expectInvalid(evaluate({ checkpointPrefix: '' }), 'checkpoint_prefix');
    await expectInvalid(evaluate({ checkpointPrefix: modelPrefix('other-run', 0) }), 'checkpoint_prefix');
    expect(
      (await failure(evaluate({ runId: 'no-such-run', checkpointPrefix: modelPrefix('no-such-run', 0) })))
        .code,
    ).toBe(status.NOT_FOUND);
    expect((await failure(evaluate({ checkpointPrefix: `runs/${RUN}/models/0099/` }))).code).toBe(
      status.NOT_FOUND,
    );
    // The model after task 1 is not the model after task 0.
    expect((await failure(evaluate({ checkpointPrefix: modelPrefix(RUN, 1) }))).code).toBe(
      status.FAILED_PRECONDITION,
    );
    // A checkpoint of another kind is not a model.
    await writeArtifact(stack.store, `runs/${RUN}/checkpoints/00000001/`, 'checkpoint', {
      'state.bin': new Uint8Array(4),
    });
    expect((await failure(evaluate({ checkpointPrefix: `runs/${RUN}/checkpoints/00000001` }))).code).toBe(
      status.FAILED_PRECONDITION,
    );
    expect((await failure(metricsOf('no-such-run'))).code).toBe(status.NOT_FOUND);
    await expectInvalid(metricsOf('Bad/Id'), 'run_id');
    expect(await storedRows()).toEqual([]);
  });

  it('evaluates each task bit-identically to the in-process evaluation and stores the row', async () => {
    for (const task of [0, 1]) {
      const response = await evaluate({ task, checkpointPrefix: modelPrefix(RUN, task) });
      const expected = await inProcess(models[task]);
      expect(response.accuracy).toBe(expected.accuracy);
      expect(response.perTask).toEqual(expected.perTask);
      expect(response.perTask).toHaveLength(task + 1);
      const key = accuracyRowKey(RUN, task);
      const bytes = await stack.store.get(key);
      expect(response.row).toEqual({ key, size: bytes.length, sha256: sha256Hex(bytes) });
      expect(JSON.parse(bytes.toString('utf8'))).toEqual({
        task,
        accuracy: expected.accuracy,
        perTask: expected.perTask,
      });
      // The predictions the row was counted from: every test image of tasks 0..task, in test-set order.
      const predictions = decodePredictions(
        await stack.store.get(predictionsKey(RUN, task)),
        predictionsKey(RUN, task),
      );
      expect(predictions.task).toBe(task);
      expect(predictions.labels).toEqual(expected.labels);
      expect(predictions.predictions).toEqual(expected.predictions);
      expect(predictions.labels).toHaveLength(4 * 2 * (task + 1));
      // Idempotent per (run, task).
      expect(await evaluate({ task, checkpointPrefix: modelPrefix(RUN, task) })).toEqual(response);
    }
  });

  it('evaluates a prompted method’s model (L2P) through its prompts, as the trainer does in-process', async () => {
    const runId = 'run-prompted';
    await registerRun(runId);
    const model = promptedModel(1, 300);
    await putModel(stack.store, runId, 1, encodeEvalModel(model), { task: 1 });
    const response = await evaluate({ runId, task: 1, checkpointPrefix: modelPrefix(runId, 1) });
    const expected = await inProcess(model);
    expect(response.accuracy).toBe(expected.accuracy);
    expect(response.perTask).toEqual(expected.perTask);
    const predictions = decodePredictions(
      await stack.store.get(predictionsKey(runId, 1)),
      predictionsKey(runId, 1),
    );
    expect(predictions.predictions).toEqual(expected.predictions);
    // The prompts matter: the same backbone and heads without them predict otherwise.
    const { prompted: _p, ...plain } = model;
    expect((await inProcess(plain)).predictions).not.toEqual(expected.predictions);
  });

  it('evaluates RanPAC’s heads on its seeded random projection of the features, as the trainer does in-process', async () => {
    const runId = 'run-ranpac';
    const ranpac: ExperimentConfig = {
      ...experiment,
      method: 'ranpac',
      stage1: { ...experiment.stage1, freshFinalNorm: false },
      alignment: null,
      ranpac: { projectionDim: 24, firstSessionAdaptation: false, ridges: [1], fitFraction: 0.8 },
    };
    await registerRun(runId, ranpac);
    const map = featureMapOf(ranpac);
    expect(map).toMatchObject({ kind: 'random-relu', inDim: ARCH.dim, outDim: 24 });
    // Heads over the projection's 24 outputs, not the backbone's 16 features.
    const rng = new Mt19937(400);
    const model: EvalModel = {
      task: 1,
      backbone: randomBackbone(ARCH, rng),
      finalNormEps: 1e-6,
      heads: [newHead(24, 2, rng), newHead(24, 2, rng)],
    };
    await putModel(stack.store, runId, 1, encodeEvalModel(model), { task: 1 });
    const response = await evaluate({ runId, task: 1, checkpointPrefix: modelPrefix(runId, 1) });
    const expected = await inProcess(model, map);
    expect(response.accuracy).toBe(expected.accuracy);
    expect(response.perTask).toEqual(expected.perTask);
    const predictions = decodePredictions(
      await stack.store.get(predictionsKey(runId, 1)),
      predictionsKey(runId, 1),
    );
    expect(predictions.predictions).toEqual(expected.predictions);
  });

  it('computes the run metrics from the stored rows with @slca/metrics; complete once every task has a row', async () => {
    const rows = async () => {
      const list: AccuracyRow[] = [];
      for (let t = 0; ; t++) {
        if (!(await stack.store.exists(accuracyRowKey(RUN, t)))) return list;
        list.push(
          JSON.parse((await stack.store.get(accuracyRowKey(RUN, t))).toString('utf8')) as AccuracyRow,
        );
      }
    };
    const expectMetrics = async (complete: boolean) => {
      const stored = await rows();
      let matrix = emptyMatrix(split.tasks.length);
      for (const row of stored) matrix = setRow(matrix, row.task, row.perTask);
      const accuracies = stored.map((r) => r.accuracy);
      const predictions = await Promise.all(
        stored.map(async (r) => {
          const p = await inProcess(models[r.task]);
          return { task: r.task, labels: Array.from(p.labels), predicted: Array.from(p.predictions) };
        }),
      );
      expect(await metricsOf(RUN)).toEqual({
        runId: RUN,
        accuracyMatrix: stored.map((r) => ({ values: r.perTask })),
        accuracies,
        lastAcc: lastAcc(accuracies),
        incAcc: incAcc(accuracies),
        forgetting: forgetting(matrix),
        bwt: bwt(matrix),
        complete,
        // Three tasks of two classes, four test images per class.
        classesPerTask: [2, 2, 2],
        testImagesPerTask: [8, 8, 8],
        predictions,
      });
    };
    await expectMetrics(false);
    const last = split.tasks.length - 1;
    await evaluate({ task: last, checkpointPrefix: modelPrefix(RUN, last) });
    await expectMetrics(true);
  });

  it('answers ALREADY_EXISTS when a different row is stored for the task, and keeps that row', async () => {
    await registerRun('run-other');
    await putModel(stack.store, 'run-other', 0, encodeEvalModel(models[0]), { task: 0 });
    const other: AccuracyRow = { task: 0, accuracy: 0.125, perTask: [0.125] };
    await putAccuracyRow(stack.store, 'run-other', other);
    const error = await failure(
      evaluate({ runId: 'run-other', checkpointPrefix: modelPrefix('run-other', 0) }),
    );
    expect(error.code).toBe(status.ALREADY_EXISTS);
    const kept = JSON.parse(
      (await stack.store.get(accuracyRowKey('run-other', 0))).toString('utf8'),
    ) as AccuracyRow;
    expect(kept).toEqual(other);
    // A row stored without predictions (as every row was before the evaluator kept them) still serves.
    expect(await metricsOf('run-other')).toMatchObject({
      accuracies: [0.125],
      complete: false,
      classesPerTask: [2, 2, 2],
      predictions: [],
    });
  });

  it('answers FAILED_PRECONDITION, naming the head or prompt, for a model that does not fit the run', async () => {
    await registerRun('run-misfit');
    const good = models[0];
    const narrow = { ...good, heads: [{ ...good.heads[0], weight: good.heads[0].weight.subarray(2) }] };
    await putModel(stack.store, 'run-misfit', 0, encodeEvalModel(narrow), { task: 0 });
    const error = await failure(
      evaluate({ runId: 'run-misfit', checkpointPrefix: modelPrefix('run-misfit', 0) }),
    );
    expect(error.code).toBe(status.FAILED_PRECONDITION);
    const width = ARCH.dim;
    expect(error.details).toBe(
      `${modelPrefix('run-misfit', 0)}: head 0 has ${2 * width - 2} weights and 2 biases; ` +
        `2 classes on ${width} features need ${2 * width} and 2 (run run-misfit)`,
    );
    expect(await stack.store.list(accuracyRowsPrefix('run-misfit'))).toEqual([]);
  });

  it('answers DATA_LOSS when stored predictions are malformed', async () => {
    await registerRun('run-bad-predictions');
    await putAccuracyRow(stack.store, 'run-bad-predictions', { task: 0, accuracy: 50, perTask: [50] });
    await stack.store.put(predictionsKey('run-bad-predictions', 0), Buffer.from('{"format":"other"}'));
    const error = await failure(metricsOf('run-bad-predictions'));
    expect(error.code).toBe(status.DATA_LOSS);
    expect(error.details).toContain(predictionsKey('run-bad-predictions', 0));
  });

  it('answers DATA_LOSS for a model whose stored bytes no longer match its manifest', async () => {
    await registerRun('run-tampered');
    await putModel(stack.store, 'run-tampered', 0, encodeEvalModel(models[0]), { task: 0 });
    const key = `${modelPrefix('run-tampered', 0)}${MODEL_FILE}`;
    const bytes = await stack.store.get(key);
    bytes[bytes.length - 1] ^= 0xff;
    await stack.store.put(key, bytes);
    const error = await failure(
      evaluate({ runId: 'run-tampered', checkpointPrefix: modelPrefix('run-tampered', 0) }),
    );
    expect(error.code).toBe(status.DATA_LOSS);
    expect(error.details).toContain(key);
    expect(await stack.store.list(accuracyRowsPrefix('run-tampered'))).toEqual([]);
  });
});
