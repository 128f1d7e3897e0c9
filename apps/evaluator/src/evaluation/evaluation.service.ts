import { Inject, Injectable } from '@nestjs/common';
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
  evaluateSeenClasses,
  LocalDevice,
  parseArch,
  validateConfig,
  type BackendInfo,
  type EvalModel,
  type ExperimentConfig,
} from '@slca/engine';
import { bwt, emptyMatrix, forgetting, incAcc, lastAcc, setRow, type AccuracyMatrix } from '@slca/metrics';
import { dataLoss, failedPrecondition, invalidArgument } from '@slca/service-kit';
import { OBJECT_STORE } from '../object-store';
import { TestSetCache } from './test-sets';

/** Inject with `@Inject(TENSOR_BACKEND)`: the TensorFlow.js backend this process evaluates on. */
export const TENSOR_BACKEND = Symbol('slca.evaluator.tensor-backend');

/** What a run's configuration says about evaluating it, checked. */
interface RunSetup {
  config: RunConfigFile;
  experiment: ExperimentConfig;
  split: DatasetSplit;
  /** Classes per task as the run trains them (one task of every class for `joint`). */
  sizes: number[];
}

/** Evaluates a run's models with the engine's own function and keeps its accuracy matrix. */
@Injectable()
export class EvaluationService {
  private readonly testSets = new TestSetCache();
  /** The backend is single-threaded: evaluations take turns rather than interleave their tensors. */
  private turn: Promise<unknown> = Promise.resolve();

  constructor(
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(TENSOR_BACKEND) private readonly backend: BackendInfo,
  ) {}

  async evaluate(runId: string, task: number, checkpointPrefix: string): Promise<EvaluateCheckpointResponse> {
    const setup = await this.setup(runId);
    const { config, experiment, split, sizes } = setup;
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
    const test = await this.testSets.get(dataset, config.imageSize);
    const relabel = remapLabels(split.classOrder);
    const testLabels = Int32Array.from(test.labels, (label) => relabel[label]);
    const evaluation = await this.inTurn(() =>
      evaluateSeenClasses({
        device: new LocalDevice(),
        arch,
        normalize: experiment.normalize,
        featureChunk: experiment.compute.featureChunk,
        backbone: model.backbone,
        finalNormEps: model.finalNormEps,
        heads: model.heads,
        test,
        testLabels,
        sizes,
        task,
      }),
    );
    const row: AccuracyRow = { task, accuracy: evaluation.accuracy, perTask: evaluation.perTask };
    await putAccuracyRow(this.store, runId, row);
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
    const { sizes } = await this.setup(runId);
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
    return {
      runId,
      accuracyMatrix: prefix.map((row) => ({ values: row.perTask })),
      accuracies,
      lastAcc: any ? lastAcc(accuracies) : 0,
      incAcc: any ? incAcc(accuracies) : 0,
      forgetting: any ? forgetting(matrix) : 0,
      bwt: any ? bwt(matrix) : 0,
      complete: prefix.length === sizes.length,
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
    let split: DatasetSplit;
    try {
      split = (await getSplit(this.store, config.splitId)).split;
    } catch (error) {
      if (isArtifactError(error) && error.code === 'not_found')
        throw failedPrecondition(`run ${runId} names split ${config.splitId}, which does not exist`);
      throw error;
    }
    const taskSizes = split.tasks.map((t) => t.classes.length);
    const sizes = experiment.method === 'joint' ? [taskSizes.reduce((a, b) => a + b, 0)] : taskSizes;
    return { config, experiment, split, sizes };
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
