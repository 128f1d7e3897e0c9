import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  accuracyRowKey,
  fetchVerified,
  getDataset,
  getRunConfig,
  getSplit,
  isArtifactError,
  listAccuracyRows,
  MODEL_FILE,
  putAccuracyRow,
  readArtifactManifest,
  sha256Hex,
  type AccuracyRow,
  type ObjectStore,
  type RunConfigFile,
} from '@slca/artifacts';
import type { EvaluateCheckpointResponse, RunMetrics } from '@slca/contracts';
import { remapLabels, type DatasetSplit } from '@slca/data';
import {
  backboneLayout,
  decodeEvalModel,
  evalModelMismatch,
  evaluateSeenClasses,
  featureMapOf,
  validateConfig,
  type EvalModel,
  type ExperimentConfig,
} from '@slca/engine';
import { LocalDevice, parseArch, type BackendInfo, type ComputeDevice } from '@slca/compute';
import { bwt, emptyMatrix, forgetting, incAcc, lastAcc, setRow, type AccuracyMatrix } from '@slca/metrics';
import { dataLoss, failedPrecondition, invalidArgument } from '@slca/service-kit';
import { OBJECT_STORE } from '../object-store';
import {
  DEFAULT_CACHE_PIXELS,
  DEFAULT_STREAM_IMAGES,
  streamTestSet,
  TestSetCache,
  type TestTransform,
  type TransformDecoder,
} from './test-sets';
import { parseTestTransform } from './test-transform';
import { getPredictions, putPredictions } from './predictions';

/** Inject with `@Inject(TENSOR_BACKEND)`: the TensorFlow.js backend this process evaluates on. */
export const TENSOR_BACKEND = Symbol('slca.evaluator.tensor-backend');

/** Inject with `@Inject(EVALUATION_OPTIONS)` (optional): how much memory the test images may take. */
export const EVALUATION_OPTIONS = Symbol('slca.evaluator.evaluation-options');

export interface EvaluationOptions {
  /**
   * Pixels (images × size²) of decoded test sets kept between evaluations, least recently used evicted
   * first; default {@link DEFAULT_CACHE_PIXELS}. A set larger than this is streamed instead.
   */
  cachePixels?: number;
  /**
   * Decoded images a streamed evaluation holds at once (decoded, awaiting their features); default
   * {@link DEFAULT_STREAM_IMAGES}. Chunks are the run's `compute.featureChunk`, or this many when smaller.
   */
  streamImages?: number;
  /** Decodes through a run's test transform; default `decodeResizeCenterCrop` (tests instrument it). */
  decode?: TransformDecoder;
  /** The device features are computed on; default a new `LocalDevice` per evaluation. */
  device?: () => ComputeDevice;
}

/** What a run's configuration says about evaluating it, checked. */
interface RunSetup {
  config: RunConfigFile;
  experiment: ExperimentConfig;
  split: DatasetSplit;
  /** Classes per task as the run trains them (one task of every class for `joint`). */
  sizes: number[];
  /** Test images of each of those tasks. */
  testImages: number[];
  /** The test transform from source size, or null for a plain resize to `imageSize`. */
  testTransform: TestTransform | null;
}

/** Evaluates a run's models with the engine's own function and keeps its accuracy matrix. */
@Injectable()
export class EvaluationService {
  private readonly testSets: TestSetCache;
  private readonly streamImages: number;
  /**
   * The backend is single-threaded: evaluations take turns rather than interleave their tensors. A turn
   * includes getting the test images, so only one evaluation's images are decoded at a time.
   */
  private turn: Promise<unknown> = Promise.resolve();

  constructor(
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(TENSOR_BACKEND) private readonly backend: BackendInfo,
    @Optional() @Inject(EVALUATION_OPTIONS) private readonly options: EvaluationOptions = {},
  ) {
    const positive = (value: number | undefined, fallback: number, name: string) => {
      const n = value ?? fallback;
      if (!Number.isInteger(n) || n <= 0)
        throw new RangeError(`${name} must be a positive integer, got ${n}`);
      return n;
    };
    this.testSets = new TestSetCache(positive(options.cachePixels, DEFAULT_CACHE_PIXELS, 'cachePixels'));
    this.streamImages = positive(options.streamImages, DEFAULT_STREAM_IMAGES, 'streamImages');
  }

  async evaluate(runId: string, task: number, checkpointPrefix: string): Promise<EvaluateCheckpointResponse> {
    const setup = await this.setup(runId);
    const { config, experiment, split, sizes, testTransform } = setup;
    if (task >= sizes.length)
      throw invalidArgument(
        'task',
        `run ${runId} has ${sizes.length} tasks (0..${sizes.length - 1}), got ${task}`,
      );
    const requested = experiment.compute.backend;
    if (requested !== 'auto' && requested !== this.backend.name)
      throw failedPrecondition(
        `run ${runId} computes on ${requested}, this evaluator on ${this.backend.name}: ` +
          'its results would not match the run bit for bit',
      );
    const model = await this.model(checkpointPrefix, task);
    const arch = experiment.arch;
    const seen = sizes.slice(0, task + 1).reduce((a, b) => a + b, 0);
    const headClasses = model.heads.reduce((n, h) => n + h.classes, 0);
    if (headClasses !== seen)
      throw failedPrecondition(
        `${checkpointPrefix}: heads cover ${headClasses} classes, task ${task} has seen ${seen}`,
      );
    if (model.backbone.length !== backboneLayout(arch).total)
      throw failedPrecondition(
        `${checkpointPrefix}: backbone has ${model.backbone.length} values, run ${runId}'s architecture needs ${backboneLayout(arch).total}`,
      );

    const dataset = await getDataset(this.store, config.dataset);
    if (dataset.digest !== split.datasetDigest)
      throw failedPrecondition(
        `dataset ${config.dataset} (manifest ${dataset.digest}) is not the one split ${split.id} was cut from (${split.datasetDigest})`,
      );
    const relabel = remapLabels(split.classOrder);
    const evaluation = await this.inTurn(async () => {
      // What the heads read instead of the features (RanPAC's seeded projection), derived from the run's
      // configuration as the trainer derives it; never stored. Made in the turn, so that evaluations
      // waiting for theirs hold no projection; checked against the model before any image is read.
      const featureMap = featureMapOf(experiment);
      const mismatch = evalModelMismatch(model, arch.dim, featureMap?.outDim ?? arch.dim);
      if (mismatch) throw failedPrecondition(`${checkpointPrefix}: ${mismatch} (run ${runId})`);
      // A run with a test transform, or a plain set too large to keep, is read chunk by chunk from the
      // store through the engine's lazy source (as the in-process paper path reads it): at most
      // `streamImages` decoded images at a time, none kept. Small plain sets are decoded once and cached.
      const stream = testTransform !== null || !this.testSets.fits(dataset, config.imageSize);
      const test = stream
        ? streamTestSet(dataset, config.imageSize, testTransform, this.options.decode)
        : await this.testSets.get(dataset, config.imageSize);
      const featureChunk = stream
        ? Math.min(experiment.compute.featureChunk, this.streamImages)
        : experiment.compute.featureChunk;
      const device = this.options.device?.() ?? new LocalDevice();
      try {
        return await evaluateSeenClasses({
          device,
          arch,
          normalize: experiment.normalize,
          featureChunk,
          maxImagesHeld: stream ? this.streamImages : undefined,
          backbone: model.backbone,
          finalNormEps: model.finalNormEps,
          heads: model.heads,
          // A prompted method's prompts travel in the model file (EvalModel.prompted).
          prompted: model.prompted ?? null,
          featureMap,
          test,
          testLabels: Int32Array.from(test.labels, (label) => relabel[label]),
          sizes,
          task,
        });
      } finally {
        await device.close();
      }
    });
    const row: AccuracyRow = { task, accuracy: evaluation.accuracy, perTask: evaluation.perTask };
    await putAccuracyRow(this.store, runId, row);
    // The predictions the row was counted from: what per-class accuracy and confusion matrices need.
    await putPredictions(this.store, runId, {
      task,
      labels: evaluation.labels,
      predictions: evaluation.predictions,
    });
    const key = accuracyRowKey(runId, task);
    const stored = await this.store.get(key);
    return {
      runId,
      task,
      accuracy: row.accuracy,
      perTask: row.perTask,
      row: { key, size: stored.length, sha256: sha256Hex(stored) },
    };
  }

  /** The rows evaluated so far (the prefix 0..F−1 the metrics are defined on) and the metrics of them. */
  async metrics(runId: string): Promise<RunMetrics> {
    const { sizes, testImages } = await this.setup(runId);
    const rows = (await listAccuracyRows(this.store, runId)).sort((a, b) => a.task - b.task);
    let matrix: AccuracyMatrix = emptyMatrix(sizes.length);
    const prefix: AccuracyRow[] = [];
    try {
      for (const row of rows) {
        if (row.task !== prefix.length) break;
        matrix = setRow(matrix, row.task, row.perTask);
        prefix.push(row);
      }
    } catch (error) {
      throw dataLoss(`run ${runId}: a stored accuracy row is malformed: ${(error as Error).message}`);
    }
    const accuracies = prefix.map((row) => row.accuracy);
    const any = prefix.length > 0;
    // Runs evaluated before the evaluator kept predictions have none; those that have them have them for
    // every evaluated task from some point on, so the tasks present are listed as they are.
    const predictions = [];
    for (const row of prefix) {
      let stored;
      try {
        stored = await getPredictions(this.store, runId, row.task);
      } catch (error) {
        throw dataLoss(`run ${runId}: stored predictions are malformed: ${(error as Error).message}`);
      }
      if (stored)
        predictions.push({
          task: stored.task,
          labels: Array.from(stored.labels),
          predicted: Array.from(stored.predictions),
        });
    }
    return {
      runId,
      accuracyMatrix: prefix.map((row) => ({ values: row.perTask })),
      accuracies,
      lastAcc: any ? lastAcc(accuracies) : 0,
      incAcc: any ? incAcc(accuracies) : 0,
      forgetting: any ? forgetting(matrix) : 0,
      bwt: any ? bwt(matrix) : 0,
      complete: prefix.length === sizes.length,
      classesPerTask: sizes,
      testImagesPerTask: testImages,
      predictions,
    };
  }

  private async setup(runId: string): Promise<RunSetup> {
    const config = await getRunConfig(this.store, runId);
    let experiment: ExperimentConfig;
    try {
      experiment = structuredClone(config.experiment) as unknown as ExperimentConfig;
      experiment.arch = parseArch(experiment.arch);
      validateConfig(experiment);
    } catch (error) {
      throw failedPrecondition(
        `run ${runId} has an unusable experiment configuration: ${(error as Error).message}`,
      );
    }
    if (experiment.arch.imageSize !== config.imageSize)
      throw failedPrecondition(
        `run ${runId} decodes images at ${config.imageSize} px but its architecture takes ${experiment.arch.imageSize} px`,
      );
    let testTransform: TestTransform | null;
    try {
      testTransform = parseTestTransform(config.testTransform, config.imageSize);
    } catch (error) {
      throw failedPrecondition(`run ${runId} has an unusable test transform: ${(error as Error).message}`);
    }
    let split: DatasetSplit;
    try {
      split = (await getSplit(this.store, config.splitId)).split;
    } catch (error) {
      if (isArtifactError(error) && error.code === 'not_found')
        throw failedPrecondition(`run ${runId} names split ${config.splitId}, which does not exist`);
      throw error;
    }
    const taskSizes = split.tasks.map((t) => t.classes.length);
    const taskTests = split.tasks.map((t) => t.test.length);
    const joint = experiment.method === 'joint';
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    const sizes = joint ? [sum(taskSizes)] : taskSizes;
    const testImages = joint ? [sum(taskTests)] : taskTests;
    return { config, experiment, split, sizes, testImages, testTransform };
  }

  /** The committed model at `prefix`, checked against its digest and against the task asked for. */
  private async model(prefix: string, task: number): Promise<EvalModel> {
    const manifest = await readArtifactManifest(this.store, prefix);
    const entry = manifest.files.find((f) => f.name === MODEL_FILE);
    if (manifest.kind !== 'model' || !entry)
      throw failedPrecondition(`${prefix} is a ${manifest.kind} artifact, not a model with ${MODEL_FILE}`);
    const bytes = await fetchVerified(this.store, entry);
    let model: EvalModel;
    try {
      model = decodeEvalModel(new Uint8Array(bytes), entry.key);
    } catch (error) {
      throw failedPrecondition(`${entry.key} is not an evaluation model: ${(error as Error).message}`);
    }
    if (model.task !== task)
      throw failedPrecondition(`${prefix} holds the model after task ${model.task}, not after task ${task}`);
    return model;
  }

  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const result = this.turn.then(work);
    this.turn = result.catch(() => undefined);
    return result;
  }
}
