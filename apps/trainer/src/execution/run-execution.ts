import {
  appendTrainHistory,
  CHECKPOINT_FILE,
  getBackbone,
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
import type { RunLineage } from '@slca/contracts';
import { classOrder } from '@slca/data';
import {
  backboneFromBytes,
  checkDatasetFits,
  configOf,
  decodeExperimentState,
  EMBEDDED_DATASET_NAME,
  encodeEvalModel,
  encodeExperimentState,
  runDevice,
  loadExperimentData,
  runExperiment,
  type CheckpointReason,
  type ExperimentConfig,
  type ExperimentResult,
  type ExperimentState,
  type ProgressEvent,
} from '@slca/engine';
import { initBackend } from '@slca/compute';
import type { Logger } from '@slca/service-kit';
import { codeVersion } from './code-version';
import { OutageGate, type DependencyAddresses } from './outages';
import type { Peers } from './peers';
import { RemoteStatistics } from './remote-statistics';
import { experimentOfRecord } from './run-spec';

/** Checkpoints kept per run: the newest, and the one before it in case the newest is being read. */
const KEEP_CHECKPOINTS = 2;

export interface ExecutionHooks {
  onProgress(e: ProgressEvent): void;
  onPrepared(info: {
    splitId: string;
    tasks: number;
    backend: string;
    device: string;
    lineage: RunLineage;
  }): Promise<void>;
  onCheckpoint(info: {
    prefix: string;
    seq: number;
    state: ExperimentState;
    reason: CheckpointReason;
  }): Promise<void>;
  onEvaluated(info: { task: number; accuracy: number; perTask: number[] }): Promise<void>;
  /** What the run waits for ("the evaluator at …"), '' when it no longer waits (see OutageGate). */
  onWaiting?(waitingFor: string): void;
  log(message: string): void;
}

export interface ExecutionInput {
  runId: string;
  benchmark: string;
  /** The run's experiment as its record keeps it (a complete experiment; older records: an embedded config). */
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
  /** Where the peers are, for the run's status while it waits for one. */
  dependencies?: DependencyAddresses;
}

/**
 * The gate every call of a run to the store and the peers goes through: an outage pauses the run (its
 * status names what it waits for, and the log says when it started and ended) instead of failing it.
 */
export function outageGate(input: Pick<ExecutionInput, 'signal' | 'hooks' | 'dependencies' | 'store'>) {
  const { hooks } = input;
  return new OutageGate({
    signal: input.signal,
    addresses: { 'object-store': input.store.description, ...input.dependencies },
    onChange: (waitingFor, error) => {
      hooks.onWaiting?.(waitingFor);
      if (waitingFor)
        hooks.log(
          `waiting for ${waitingFor} (${(error as Error | undefined)?.message ?? 'no answer'}); ` +
            'the run continues when it answers',
        );
      else hooks.log('every dependency answers again; the run continues');
    },
  });
}

/**
 * Runs (or continues) one run through the services: the splitter provides the dataset and the split,
 * statistics go to the statistics store, every task's model is evaluated by the evaluator, and the engine's
 * state is checkpointed to the object store. The experiment itself is the engine's `runExperiment`, the
 * same code the CLI runs in-process.
 */
export async function executeRun(input: ExecutionInput): Promise<ExperimentResult> {
  const { runId, peers, hooks } = input;
  const gate = outageGate(input);
  const store = gate.store(input.store);
  const experiment = experimentOfRecord(JSON.stringify(input.config));
  const config = configOf(experiment);
  const { dataset: datasetName, backbone: backboneName } = experiment;
  const imageSize = config.arch.imageSize;

  hooks.log(`preparing: dataset ${datasetName}, backbone ${backboneName}, the split for seed ${config.seed}`);
  const registered =
    datasetName === EMBEDDED_DATASET_NAME
      ? await gate.call('splitter', () => peers.importEmbedded({ name: datasetName }, runId))
      : await gate.call('splitter', () => peers.getDataset({ name: datasetName }, runId));
  const classes = registered.dataset?.classes.length ?? 0;
  checkDatasetFits(experiment, { name: datasetName, classes });
  // Joint training is one task holding every class: its split says so, so the evaluator cuts it the same way.
  const joint = config.method === 'joint';
  const { split } = await gate.call('splitter', () =>
    peers.createSplit(
      {
        dataset: datasetName,
        seed: config.seed,
        initClasses: joint ? classes : config.initClasses,
        increment: joint ? classes : config.increment,
      },
      runId,
    ),
  );
  if (!split) throw new Error(`the splitter returned no split for ${datasetName}`);
  const expected = classOrder(classes, config.seed);
  if (split.classOrder.join() !== expected.join())
    throw new Error(`split ${split.id} has a class order other than the seed's; refusing to train on it`);
  const tasks = split.tasks.length;

  // The backbone: looked up through the splitter (which registers the embedded one on first use), read
  // from the object store, checked against its digest and the experiment's architecture.
  const { backbone: described } = await gate.call('splitter', () =>
    peers.getBackbone({ name: backboneName }, runId),
  );
  const storedBackbone = await getBackbone(store, backboneName);
  if (described && described.digest !== storedBackbone.record.digest)
    throw new Error(`backbone ${backboneName}: the splitter and the object store disagree on its digest`);
  const archMismatch = (Object.keys(storedBackbone.record.arch) as (keyof typeof config.arch)[]).find(
    (key) => storedBackbone.record.arch[key] !== (config.arch[key] ?? storedBackbone.record.arch[key]),
  );
  if (archMismatch)
    throw new Error(
      `backbone ${backboneName} is registered as ${JSON.stringify(storedBackbone.record.arch)}, ` +
        `the experiment's arch is ${JSON.stringify(config.arch)} (arch.${archMismatch} differs)`,
    );

  const backend = await initBackend(config.compute.backend);
  await putRunConfig(store, {
    runId,
    benchmark: experiment.benchmark,
    dataset: datasetName,
    splitId: split.id,
    imageSize,
    testTransform: experiment.testTransform,
    experiment: config as unknown as Record<string, unknown>,
    createdAt: input.createdAt,
  });
  const lineage: RunLineage = {
    dataset: datasetName,
    datasetDigest: registered.dataset?.manifestDigest ?? '',
    backbone: backboneName,
    backboneDigest: storedBackbone.record.digest,
    configurationId: experiment.configuration?.id ?? '',
    configurationVersion: experiment.configuration?.version ?? 0,
    codeVersion: codeVersion(),
  };
  const device = runDevice(config, backend.name);
  await hooks.onPrepared({ splitId: split.id, tasks, backend: backend.name, device, lineage });

  const stored = await getDataset(store, datasetName);
  hooks.log(
    experiment.testTransform
      ? `${stored.manifest.train.length + stored.manifest.test.length} images, decoded per batch at source size ` +
          `(test: resize ${experiment.testTransform.resize} → centre crop ${experiment.testTransform.crop})`
      : `decoding ${stored.manifest.train.length + stored.manifest.test.length} images at ${imageSize} px`,
  );
  const data = await loadExperimentData(experiment, stored.manifest, { read: stored.read });
  const { values } = backboneFromBytes(
    new Uint8Array(await storedBackbone.read()),
    config.arch,
    `backbone ${backboneName}`,
  );

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
        const { task, tasks, epoch, epochs, step, steps, loss, lr, backboneLr, images } = e;
        // With its clock, batch and the process's memory: the dashboard plots time and throughput from them.
        const atMs = Date.now();
        const rssBytes = process.memoryUsage.rss();
        history.push({
          task,
          tasks,
          epoch,
          epochs,
          step,
          steps,
          loss,
          lr,
          backboneLr,
          atMs,
          images,
          rssBytes,
        });
      }
      hooks.onProgress(e);
    },
    resumeFrom,
    signal: input.signal,
    statistics: new RemoteStatistics(runId, store, peers, gate),
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
    evaluate: async ({ task, backbone, finalNormEps, heads, prompted }) => {
      const model = encodeEvalModel({
        task,
        backbone,
        finalNormEps,
        heads: [...heads],
        ...(prompted && { prompted }),
      });
      await putModel(store, runId, task, model, { task });
      // Only the evaluation is repeated while the evaluator is away: the task's training is done.
      const res = await gate.call('evaluator', () =>
        peers.evaluate({ runId, task, checkpointPrefix: modelPrefix(runId, task) }),
      );
      await hooks.onEvaluated({ task, accuracy: res.accuracy, perTask: res.perTask });
      return { accuracy: res.accuracy, perTask: res.perTask };
    },
  });
}
