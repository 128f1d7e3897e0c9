import {
  appendTrainHistory,
  CHECKPOINT_FILE,
  getDataset,
  latestCheckpoint,
  listArtifacts,
  checkpointPrefix,
  checkpointsPrefix,
  modelPrefix,
  putCheckpoint,
  putModel,
  putRunConfig,
  readArtifactFile,
  removeArtifact,
  type ObjectStore,
  type TrainHistoryPoint,
} from '@slca/artifacts';
import { classOrder } from '@slca/data';
import {
  decodeExperimentState,
  encodeEvalModel,
  encodeExperimentState,
  initBackend,
  loadEmbeddedBackbone,
  loadManifestData,
  runExperiment,
  type CheckpointReason,
  type ExperimentConfig,
  type ExperimentResult,
  type ExperimentState,
  type ProgressEvent,
} from '@slca/engine';
import type { Logger } from '@slca/service-kit';
import type { Peers } from './peers';
import { RemoteStatistics } from './remote-statistics';
import { BENCHMARKS, type Benchmark } from './run-spec';

/** Checkpoints kept per run: the newest, and the one before it in case the newest is being read. */
const KEEP_CHECKPOINTS = 2;

export interface ExecutionHooks {
  onProgress(e: ProgressEvent): void;
  onPrepared(info: { splitId: string; tasks: number; backend: string }): Promise<void>;
  onCheckpoint(info: {
    prefix: string;
    seq: number;
    state: ExperimentState;
    reason: CheckpointReason;
  }): Promise<void>;
  onEvaluated(info: { task: number; accuracy: number; perTask: number[] }): Promise<void>;
  log(message: string): void;
}

export interface ExecutionInput {
  runId: string;
  benchmark: Benchmark;
  config: ExperimentConfig;
  checkpointEvery: number;
  /** Sequence number of the last checkpoint written (the next one gets +1). */
  checkpointSeq: number;
  createdAt: string;
  store: ObjectStore;
  peers: Peers;
  signal: AbortSignal;
  logger: Logger;
  hooks: ExecutionHooks;
}

/**
 * Runs (or continues) one run through the services: the splitter provides the dataset and the split,
 * statistics go to the statistics store, every task's model is evaluated by the evaluator, and the engine's
 * state is checkpointed to the object store. The experiment itself is the engine's `runExperiment`, the
 * same code the CLI runs in-process.
 */
export async function executeRun(input: ExecutionInput): Promise<ExperimentResult> {
  const { runId, config, store, peers, hooks } = input;
  const { dataset, imageSize } = BENCHMARKS[input.benchmark];

  hooks.log(`preparing: importing ${dataset} and its split for seed ${config.seed}`);
  const imported = await peers.importEmbedded({ name: dataset }, runId);
  const classes = imported.dataset?.classes.length ?? 0;
  // Joint training is one task holding every class: its split says so, so the evaluator cuts it the same way.
  const joint = config.method === 'joint';
  const { split } = await peers.createSplit(
    {
      dataset,
      seed: config.seed,
      initClasses: joint ? classes : config.initClasses,
      increment: joint ? classes : config.increment,
    },
    runId,
  );
  if (!split) throw new Error(`the splitter returned no split for ${dataset}`);
  const expected = classOrder(classes, config.seed);
  if (split.classOrder.join() !== expected.join())
    throw new Error(`split ${split.id} has a class order other than the seed's; refusing to train on it`);
  const tasks = split.tasks.length;
  const backend = await initBackend(config.compute.backend);
  await putRunConfig(store, {
    runId,
    benchmark: input.benchmark,
    dataset,
    splitId: split.id,
    imageSize,
    experiment: config as unknown as Record<string, unknown>,
    createdAt: input.createdAt,
  });
  await hooks.onPrepared({ splitId: split.id, tasks, backend: backend.name });

  const stored = await getDataset(store, dataset);
  hooks.log(
    `decoding ${stored.manifest.train.length + stored.manifest.test.length} images at ${imageSize} px`,
  );
  const data = await loadManifestData(stored.manifest, imageSize, { read: stored.read });
  const { values } = await loadEmbeddedBackbone();

  let resumeFrom: ExperimentState | undefined;
  const latest = await latestCheckpoint(store, runId);
  if (latest) {
    resumeFrom = decodeExperimentState(
      await readArtifactFile(store, latest.prefix, CHECKPOINT_FILE),
      latest.prefix,
    );
    hooks.log(
      `resuming from ${latest.prefix} (task ${resumeFrom.task + 1}, epoch ${resumeFrom.epoch + 1}, step ${resumeFrom.step + 1})`,
    );
  }
  let seq = Math.max(input.checkpointSeq, latest?.seq ?? 0);
  // Steps since the last checkpoint; written with the next one, so history and checkpoint always agree.
  let history: TrainHistoryPoint[] = [];

  return runExperiment(config, data, values, {
    onProgress: (e) => {
      if (e.phase === 'train') {
        const { task, tasks, epoch, epochs, step, steps, loss, lr, backboneLr } = e;
        history.push({ task, tasks, epoch, epochs, step, steps, loss, lr, backboneLr });
      }
      hooks.onProgress(e);
    },
    resumeFrom,
    signal: input.signal,
    statistics: new RemoteStatistics(runId, store, peers),
    checkpoint: {
      every: input.checkpointEvery,
      save: async (state, reason) => {
        seq += 1;
        // The segment of the checkpoint it precedes: written again, not duplicated, if that one never lands.
        await appendTrainHistory(store, runId, seq, history);
        history = [];
        await putCheckpoint(store, runId, seq, encodeExperimentState(state), {
          task: state.task,
          epoch: state.epoch,
          step: state.step,
          reason,
        });
        const prefix = checkpointPrefix(runId, seq);
        await hooks.onCheckpoint({ prefix, seq, state, reason });
        const all = await listArtifacts(store, checkpointsPrefix(runId));
        for (const old of all.slice(0, Math.max(0, all.length - KEEP_CHECKPOINTS)))
          await removeArtifact(store, old);
      },
    },
    evaluate: async ({ task, backbone, finalNormEps, heads }) => {
      const model = encodeEvalModel({ task, backbone, finalNormEps, heads: [...heads] });
      await putModel(store, runId, task, model, { task });
      const res = await peers.evaluate({ runId, task, checkpointPrefix: modelPrefix(runId, task) });
      await hooks.onEvaluated({ task, accuracy: res.accuracy, perTask: res.perTask });
      return { accuracy: res.accuracy, perTask: res.perTask };
    },
  });
}
