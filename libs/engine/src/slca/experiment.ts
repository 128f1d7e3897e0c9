import {
  classOrder,
  remapLabels,
  taskBoundaries,
  taskSizes,
  type Mt19937,
  type Mt19937State,
} from '@slca/data';
import { bwt, emptyMatrix, forgetting, incAcc, lastAcc, setRow, type AccuracyMatrix } from '@slca/metrics';
import {
  initBackend,
  type BackendInfo,
  type ComputeDevice,
  openComputeDevice,
  type DeviceInfo,
  HEAD_BIAS,
  HEAD_WEIGHT,
  type ModelSpec,
  ParamLayout,
  sharedFloat32,
  promptSimilarities,
  PROMPT_KEYS,
  selectPrompts,
  paramSpecs,
} from '@slca/compute';
import { multiStepLr, Sgd } from '../train/sgd';
import { Adam } from '../train/adam';
import {
  prepareBatch,
  preparedBatchGradient,
  type BatchOptions,
  type BatchPrompts,
  type ImageSet,
  type PreparedBatch,
  type StepProgress,
} from '../train/batch-gradient';

export type { ImageSet };
import { backboneLayout } from '../weights/vit-weights';
import {
  cloneMethodState,
  emptyMethodState,
  type AdapterTensor,
  type FeatureMap,
  type MethodState,
  type PromptedModel,
  type Stage1Plan,
  type TaskContext,
} from '../methods/method';
import { methodDefinition } from '../methods/registry';
import { runDevice } from '../methods/run-device';
import { stage1ModelSpec } from '../methods/stage1';
import { streamRng } from './streams';
import { alignClassifier } from './alignment';
import { AlignmentDrawThread } from './alignment-draw-thread';
import { validateConfig, type ExperimentConfig } from './config';
import { cloneHeads, newHead, type Head } from './heads';
import { classStatistics, type ClassStatistics } from './statistics';
import { MemoryStatistics, type StatisticsSink } from './statistics-sink';
import { evaluateSeenClasses, extractFeatures, installReadModel, type TaskEvaluation } from './evaluate';

export interface ExperimentData {
  name: string;
  /** Number of classes (original ids are 0..classes-1). */
  classes: number;
  imageSize: number;
  classNames?: string[];
  train: ImageSet;
  test: ImageSet;
}

export type ProgressEvent =
  | ({ phase: 'train'; task: number; tasks: number; backboneLr: number; images: number } & StepProgress)
  | { phase: 'statistics'; task: number; tasks: number; classes: number }
  /** A method initialising what it trains beside the backbone (SLCA++'s LoRA from SVDs): `step` of `steps`. */
  | { phase: 'adapters'; task: number; tasks: number; step: number; steps: number }
  | ({ phase: 'align'; task: number; tasks: number } & StepProgress)
  | { phase: 'evaluate'; task: number; tasks: number; accuracy: number; perTask: number[] };

export interface TaskRecord {
  task: number;
  classes: number[];
  trainImages: number;
  /** Mean stage-1 loss of each epoch. */
  epochLosses: number[];
  alignLosses: number[];
  accuracy: number;
  seconds: { train: number; statistics: number; align: number; evaluate: number };
}

export interface ExperimentResult {
  config: ExperimentConfig;
  dataset: string;
  /** classOrder[k] = original id of the class that becomes label k. */
  classOrder: number[];
  taskSizes: number[];
  backend: BackendInfo;
  workers: number;
  /** The compute device the run used (its name, workers, where forward and gradients ran). */
  device: DeviceInfo;
  accuracyMatrix: AccuracyMatrix;
  /** A_t after each task (%). */
  accuracies: number[];
  lastAcc: number;
  incAcc: number;
  forgetting: number;
  bwt: number;
  tasks: TaskRecord[];
  trainImagesPerSecond: number;
  wallSeconds: number;
}

export class ExperimentError extends Error {
  override name = 'ExperimentError';
}

export { streamRng };

function checkData(data: ExperimentData, cfg: ExperimentConfig): void {
  const per = data.imageSize * data.imageSize * 3;
  if (data.imageSize !== cfg.arch.imageSize) {
    throw new ExperimentError(
      `dataset ${data.name} has ${data.imageSize}px images but the backbone expects ${cfg.arch.imageSize}px`,
    );
  }
  const augment = cfg.stage1.augment;
  if (augment && 'transforms' in augment && !('source' in data.train)) {
    throw new ExperimentError(
      `stage1.augment.transforms needs dataset ${data.name}'s training images at their source sizes, but they were decoded at ${data.imageSize}px: load it with loadManifestSource`,
    );
  }
  for (const [split, set] of [
    ['train', data.train],
    ['test', data.test],
  ] as const) {
    if (('images' in set && set.images.length !== set.count * per) || set.labels.length !== set.count) {
      throw new ExperimentError(
        `dataset ${data.name}: ${split} arrays do not match ${set.count} images of ${data.imageSize}px`,
      );
    }
    const seen = new Set<number>();
    set.labels.forEach((l, i) => {
      if (!Number.isInteger(l) || l < 0 || l >= data.classes)
        throw new ExperimentError(
          `dataset ${data.name}: ${split} image ${i} has label ${l}, outside 0..${data.classes - 1}`,
        );
      seen.add(l);
    });
    for (let c = 0; c < data.classes; c++) {
      if (!seen.has(c))
        throw new ExperimentError(
          `dataset ${data.name}: class ${data.classNames?.[c] ?? c} has no ${split} images`,
        );
    }
  }
}

/** The random streams of a run; their states go into every checkpoint. */
const STREAMS = ['heads', 'shuffle', 'augment', 'align'] as const;
type StreamName = (typeof STREAMS)[number];

/**
 * Everything a run needs to continue exactly where it stopped: resuming from it gives results bit-identical
 * to a run that never stopped (same backend). `task`/`epoch`/`step` name the next unit of work; with no
 * `training` the run is at the start of `task`. Class statistics are not part of it: they live in the
 * run's {@link StatisticsSink}, which is written before any checkpoint that depends on it.
 */
export interface ExperimentState {
  version: 1;
  /** The configuration the run started with; resuming under another one is refused. */
  config: ExperimentConfig;
  task: number;
  epoch: number;
  step: number;
  /** Backbone after the last completed task (the slow learner's weights). */
  backbone: Float32Array;
  finalNormEps: number;
  /** Stage-1 heads of the completed tasks. */
  heads: Head[];
  /** Mid-task training state, present when the checkpoint was taken inside stage 1. */
  training: {
    /** Backbone and the current head, in the layout of the task's model. */
    values: Float32Array;
    /** SGD's momentum buffer, or Adam's first moment (packed over the trained tensors). */
    momentum: Float32Array;
    sgdStarted: boolean;
    /** Adam only: its second moment (packed as `momentum`) and its step count. */
    secondMoment?: Float32Array;
    optimizerSteps?: number;
    /** The current epoch's sample order (rows of the training set). */
    order: number[];
    lossSum: number;
    epochLosses: number[];
    seconds: number;
  } | null;
  accuracies: number[];
  matrix: AccuracyMatrix;
  records: TaskRecord[];
  rng: Record<StreamName, Mt19937State>;
  trainedImages: number;
  trainSeconds: number;
  /** Wall seconds of the run before this checkpoint (the result's wallSeconds spans all sessions). */
  elapsedSeconds: number;
  /**
   * What the method keeps between tasks besides the heads (RanPAC's Gram matrix), as it was after the
   * completed tasks; absent in checkpoints of methods that keep nothing.
   */
  methodState?: MethodState;
}

/** What a checkpoint was taken for. */
export type CheckpointReason = 'steps' | 'task' | 'stop';

/** Evaluates the eval heads after a task; the default does it in-process, a service can do it remotely. */
export type TaskEvaluator = (input: {
  task: number;
  backbone: Float32Array;
  finalNormEps: number;
  heads: readonly Head[];
  /** What the heads read instead of the backbone's features (RanPAC's projection), or null. */
  featureMap: FeatureMap | null;
  /** A prompted method's prompts (L2P, DualPrompt), read by its prompted forward, or null. */
  prompted: PromptedModel | null;
}) => Promise<TaskEvaluation>;

export interface ExperimentOptions {
  onProgress?: (e: ProgressEvent) => void;
  /** Continue from this state instead of starting afresh. */
  resumeFrom?: ExperimentState;
  /** Called (and awaited) every `every` stage-1 steps, after each task, and when stopped by `signal`. */
  checkpoint?: { every: number; save: (state: ExperimentState, reason: CheckpointReason) => Promise<void> };
  /** Stops the run at the next step boundary, after a checkpoint: the run throws {@link ExperimentStopped}. */
  signal?: AbortSignal;
  /** Where class statistics go and come back from (default: in memory). */
  statistics?: StatisticsSink;
  evaluate?: TaskEvaluator;
}

/** The run stopped on request after saving a checkpoint; it can be resumed from that checkpoint. */
export class ExperimentStopped extends Error {
  override name = 'ExperimentStopped';
  constructor(readonly state: ExperimentState) {
    super(`run stopped at task ${state.task + 1}, epoch ${state.epoch + 1}, step ${state.step + 1}`);
  }
}

/** Stage 1's optimizer behind one face: SGD (the SLCA family) or Adam (a plan's `optimizer`). */
interface Stage1Optimizer {
  step(values: Float32Array, grads: Float32Array, groups: { start: number; end: number; lr: number }[]): void;
  save(): Pick<
    NonNullable<ExperimentState['training']>,
    'momentum' | 'sgdStarted' | 'secondMoment' | 'optimizerSteps'
  >;
  load(training: NonNullable<ExperimentState['training']>): void;
}

function makeOptimizer(
  plan: Stage1Plan | null,
  layout: ParamLayout,
  spec: ModelSpec,
  s1: ExperimentConfig['stage1'],
): Stage1Optimizer {
  if (plan?.optimizer?.kind === 'adam') {
    const trained = new Set(spec.trainable ?? layout.slots.map((x) => x.name));
    const ranges = layout.slots
      .filter((slot) => trained.has(slot.name))
      .map((slot) => ({ start: slot.offset, end: slot.offset + slot.size }));
    const adam = new Adam(ranges, plan.optimizer);
    return {
      step: (values, grads, groups) => adam.step(values, grads, groups),
      save: () => ({
        momentum: adam.m.slice(),
        sgdStarted: adam.steps > 0,
        secondMoment: adam.v.slice(),
        optimizerSteps: adam.steps,
      }),
      load: (training) => {
        if (!training.secondMoment || training.optimizerSteps === undefined)
          throw new ExperimentError('cannot resume: the checkpoint has no Adam state for this task');
        adam.load(training.momentum, training.secondMoment, training.optimizerSteps);
      },
    };
  }
  const sgd = new Sgd(layout.total, { momentum: s1.momentum, weightDecay: s1.weightDecay });
  return {
    step: (values, grads, groups) => sgd.step(values, grads, groups),
    save: () => ({ momentum: sgd.momentumBuffer.slice(), sgdStarted: sgd.hasStepped }),
    load: (training) => sgd.load(training.momentum, training.sgdStarted),
  };
}

function sameConfig(a: ExperimentConfig, b: ExperimentConfig): string | null {
  // Compute settings never change results (shards are fixed, workers only parallelise), so a run may resume
  // with another worker count; everything else must match.
  const strip = (c: ExperimentConfig) => JSON.stringify({ ...c, compute: { ...c.compute, workers: 0 } });
  if (strip(a) === strip(b)) return null;
  const fa = flatten(a);
  const fb = flatten(b);
  const diff = [...new Set([...Object.keys(fa), ...Object.keys(fb)])].find(
    (k) => k !== 'compute.workers' && fa[k] !== fb[k],
  );
  return diff ?? 'configuration';
}

function flatten(value: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out[prefix] = JSON.stringify(value);
  return out;
}

/**
 * Runs one class-incremental experiment end to end (docs/method.md §3–§10): class order from the seed, tasks,
 * slow-learner training of the backbone and a new head per task, class statistics, classifier alignment, and
 * evaluation on all seen classes after each task. Everything random comes from seeded streams, whose states
 * travel in checkpoints, so a resumed run continues bit-identically.
 */
export async function runExperiment(
  config: ExperimentConfig,
  data: ExperimentData,
  backbone: Float32Array,
  options: ExperimentOptions = {},
): Promise<ExperimentResult> {
  const cfg = structuredClone(config);
  validateConfig(cfg);
  checkData(data, cfg);
  const onProgress = options.onProgress ?? (() => undefined);
  const resume = options.resumeFrom;
  if (resume) {
    const field = sameConfig(resume.config, cfg);
    if (field) throw new ExperimentError(`cannot resume: the checkpoint was taken with a different ${field}`);
  }
  const started = performance.now();
  const backend = await initBackend(cfg.compute.backend);
  const { arch } = cfg;
  const dim = arch.dim;
  const bbLayout = backboneLayout(arch);
  if (backbone.length !== bbLayout.total)
    throw new ExperimentError(
      `backbone has ${backbone.length} values, expected ${bbLayout.total} for this architecture`,
    );

  const method = methodDefinition(cfg.method);
  const order = classOrder(data.classes, cfg.seed);
  const relabel = remapLabels(order);
  const sizes = method.singleTask ? [data.classes] : taskSizes(data.classes, cfg.initClasses, cfg.increment);
  const bounds = taskBoundaries(sizes);
  const trainLabels = Int32Array.from(data.train.labels, (l) => relabel[l]);
  const testLabels = Int32Array.from(data.test.labels, (l) => relabel[l]);
  if (resume && (resume.task > sizes.length || resume.heads.length !== resume.task))
    throw new ExperimentError(`cannot resume: the checkpoint does not fit this run's ${sizes.length} tasks`);

  const weights = resume ? resume.backbone.slice() : backbone.slice();
  let finalNormEps = arch.normEps ?? 1e-6;
  if (resume) finalNormEps = resume.finalNormEps;
  else if (cfg.stage1.freshFinalNorm) {
    bbLayout.view(weights, 'norm.weight').fill(1);
    bbLayout.view(weights, 'norm.bias').fill(0);
    finalNormEps = 1e-5;
  }

  const rng = Object.fromEntries(
    STREAMS.map((name) => {
      const g = streamRng(cfg.seed, name);
      if (resume) g.state = resume.rng[name];
      return [name, g];
    }),
  ) as Record<StreamName, Mt19937>;
  const batchOptions: BatchOptions = {
    arch,
    augment: cfg.stage1.augment,
    normalize: cfg.normalize,
    shards: cfg.compute.shards,
  };

  // Worker threads exist because wasm is single-threaded; native TensorFlow parallelises by itself.
  const workers = backend.name === 'wasm' ? cfg.compute.workers : 0;
  const opened = await openComputeDevice(runDevice(cfg, backend.name), workers, backend.name);
  const device: ComputeDevice = opened.device;
  const statistics = options.statistics ?? new MemoryStatistics();
  const evaluate: TaskEvaluator =
    options.evaluate ??
    ((input) =>
      evaluateSeenClasses({
        device,
        arch,
        normalize: cfg.normalize,
        featureChunk: cfg.compute.featureChunk,
        backbone: input.backbone,
        finalNormEps: input.finalNormEps,
        heads: input.heads,
        featureMap: input.featureMap,
        prompted: input.prompted,
        test: data.test,
        testLabels,
        sizes,
        task: input.task,
      }));
  const heads: Head[] = resume ? cloneHeads(resume.heads) : [];
  const methodState: MethodState = resume?.methodState
    ? cloneMethodState(resume.methodState)
    : (method.initialState?.(cfg, data.classes) ?? emptyMethodState());
  const featureMap = method.featureMap?.(cfg) ?? null;
  let matrix = resume ? structuredClone(resume.matrix) : emptyMatrix(sizes.length);
  const accuracies: number[] = resume ? [...resume.accuracies] : [];
  const records: TaskRecord[] = resume ? structuredClone(resume.records) : [];
  let trainedImages = resume?.trainedImages ?? 0;
  let trainSeconds = resume?.trainSeconds ?? 0;
  const elapsedBefore = resume?.elapsedSeconds ?? 0;
  const elapsed = () => elapsedBefore + (performance.now() - started) / 1000;

  // `augmentAt`: the augmentation stream's state at this position, when its batch was drawn ahead.
  const snapshot = (
    position: { task: number; epoch: number; step: number },
    training: ExperimentState['training'],
    augmentAt?: Mt19937State,
  ): ExperimentState => ({
    version: 1,
    config: cfg,
    ...position,
    backbone: weights.slice(),
    finalNormEps,
    heads: cloneHeads(heads),
    training,
    accuracies: [...accuracies],
    matrix: structuredClone(matrix),
    records: structuredClone(records),
    rng: Object.fromEntries(
      STREAMS.map((name) => [name, name === 'augment' && augmentAt ? augmentAt : rng[name].state]),
    ) as Record<StreamName, Mt19937State>,
    trainedImages,
    trainSeconds,
    elapsedSeconds: elapsed(),
    ...(method.initialState ? { methodState: cloneMethodState(methodState) } : {}),
  });
  const stopIfAsked = async (state: () => ExperimentState) => {
    if (!options.signal?.aborted) return;
    const s = state();
    await options.checkpoint?.save(s, 'stop');
    throw new ExperimentStopped(s);
  };

  const layoutWithHead = (classes: number, adapters: readonly AdapterTensor[]) =>
    new ParamLayout([
      ...paramSpecs(arch).map((s) => ({ name: s.name, shape: s.shape })),
      ...adapters.map((a) => ({ name: a.name, shape: a.shape })),
      { name: HEAD_WEIGHT, shape: [dim, classes] },
      { name: HEAD_BIAS, shape: [classes] },
    ]);

  // Alignment's random draws are made on a thread of their own, ahead of the epochs that use them (the
  // same numbers as drawn here); started now, so that it is up by the first alignment.
  const drawThread =
    cfg.alignment && sizes.length > 1 && (resume?.task ?? 0) < sizes.length
      ? AlignmentDrawThread.open()
      : null;
  // An unread failure to start is reported where it is awaited, not as an unhandled rejection.
  drawThread?.catch(() => undefined);
  try {
    for (let t = resume?.task ?? 0; t < sizes.length; t++) {
      const { start: known, end: total } = bounds[t];
      const seconds = { train: 0, statistics: 0, align: 0, evaluate: 0 };
      let clock = performance.now();
      const lap = () => {
        const now = performance.now();
        const dt = (now - clock) / 1000;
        clock = now;
        return dt;
      };
      const resumedAt = resume && t === resume.task && resume.training ? resume : null;
      const midTask = resumedAt?.training ?? null;

      // Stage 1: slow learner on the task's own classes, loss on the current head only.
      const rows = [...trainLabels.keys()].filter((i) => trainLabels[i] >= known && trainLabels[i] < total);
      const fineTunes = method.fineTunes(cfg, t);
      let epochLosses: number[] = [];
      let taskTrainSeconds = 0;
      if (fineTunes) {
        const headClasses = total - known;
        const adapters =
          (await method.adapters?.({
            config: cfg,
            arch,
            task: t,
            backbone: weights,
            state: methodState,
            resuming: midTask !== null,
            onProgress: (done, of) =>
              onProgress({ phase: 'adapters', task: t, tasks: sizes.length, step: done - 1, steps: of }),
          })) ?? [];
        const layout = layoutWithHead(headClasses, adapters);
        const values = sharedFloat32(layout.total);
        if (midTask) {
          if (midTask.values.length !== layout.total)
            throw new ExperimentError(`cannot resume: the checkpoint's model does not fit task ${t + 1}`);
          values.set(midTask.values);
        } else {
          const head = newHead(dim, headClasses, rng.heads);
          values.set(weights, 0);
          for (const a of adapters) values.set(a.values, layout.slot(a.name).offset);
          values.set(head.weight, layout.slot(HEAD_WEIGHT).offset);
          values.set(head.bias, layout.slot(HEAD_BIAS).offset);
        }
        const s1 = cfg.stage1;
        const plan = method.stage1Plan?.(cfg, t) ?? null;
        const spec: ModelSpec = stage1ModelSpec(plan, layout, { arch, finalNormEps }, s1);
        // A prompted model's queries: the frozen, un-prompted backbone's features of each step's augmented
        // batch (computed by preparedBatchGradient, `per-step`), or of the task's training images un-augmented,
        // computed here once per task (`once-per-task`, the default of a plan that does not say).
        const prompt = plan?.prompt ?? null;
        const queriesPerStep = plan?.promptQueries === 'per-step';
        let queryOf: ((batchRows: readonly number[]) => Float32Array) | null = null;
        if (prompt && !queriesPerStep) {
          await installReadModel(device, arch, weights, finalNormEps, null);
          const queries = await extractFeatures(device, data.train, rows, {
            arch,
            normalize: cfg.normalize,
            featureChunk: cfg.compute.featureChunk,
          });
          const at = new Int32Array(trainLabels.length).fill(-1);
          rows.forEach((r, i) => (at[r] = i));
          queryOf = (batchRows) => {
            const out = new Float32Array(batchRows.length * dim);
            batchRows.forEach((r, i) => out.set(queries.subarray(at[r] * dim, (at[r] + 1) * dim), i * dim));
            return out;
          };
        }
        await device.setModel(spec, values);
        const optimizer = makeOptimizer(plan, layout, spec, s1);
        if (midTask) optimizer.load(midTask);
        const sum = sharedFloat32(layout.total);
        const steps = Math.ceil(rows.length / s1.batchSize);
        epochLosses = midTask ? [...midTask.epochLosses] : [];
        taskTrainSeconds = midTask?.seconds ?? 0;
        const firstEpoch = resumedAt?.epoch ?? 0;
        let sinceCheckpoint = 0;
        for (let epoch = firstEpoch; epoch < s1.epochs; epoch++) {
          const lr = plan ? plan.lr(HEAD_WEIGHT, epoch) : multiStepLr(s1.lr, epoch, s1.milestones, s1.gamma);
          const backboneLr = plan ? plan.lr('cls_token', epoch) : lr * s1.backboneLrScale;
          // A plan gives every tensor its own rate (0 leaves it untouched, weight decay included).
          const groups = plan
            ? layout.slots.map((slot) => ({
                start: slot.offset,
                end: slot.offset + slot.size,
                lr: plan.lr(slot.name, epoch),
              }))
            : [
                { start: 0, end: bbLayout.total, lr: backboneLr },
                { start: bbLayout.total, end: layout.total, lr },
              ];
          const resumedHere = midTask && epoch === firstEpoch;
          const perm = resumedHere ? midTask.order : rng.shuffle.permutation(rows.length).map((i) => rows[i]);
          let lossSum = resumedHere ? midTask.lossSum : 0;
          const firstStep = resumedHere ? (resumedAt?.step ?? 0) : 0;
          // The next step's batch is read, augmented and patchified while the device computes this one's
          // gradient (its draws come next from the augmentation stream either way); a checkpoint records
          // the stream as it was before them.
          let ahead: { step: number; batch: Promise<PreparedBatch>; augmentAt: Mt19937State } | null = null;
          const prepare = (step: number) =>
            prepareBatch(
              data.train,
              perm.slice(step * s1.batchSize, (step + 1) * s1.batchSize),
              (r) => trainLabels[r] - known,
              batchOptions,
              rng.augment,
            );
          for (let step = firstStep; step < steps; step++) {
            const augmentAt = ahead?.step === step ? ahead.augmentAt : undefined;
            const trainingState = () => ({
              values: values.slice(),
              ...optimizer.save(),
              order: perm,
              lossSum,
              epochLosses: [...epochLosses],
              seconds: taskTrainSeconds + (performance.now() - clock) / 1000,
            });
            if (options.checkpoint && sinceCheckpoint >= options.checkpoint.every) {
              sinceCheckpoint = 0;
              await options.checkpoint.save(
                snapshot({ task: t, epoch, step }, trainingState(), augmentAt),
                'steps',
              );
            }
            await stopIfAsked(() => snapshot({ task: t, epoch, step }, trainingState(), augmentAt));
            const batch = await (ahead?.step === step ? ahead.batch : prepare(step));
            ahead = null;
            const batchRows = batch.rows;
            const n = batchRows.length;
            let prompts: BatchPrompts | undefined;
            const mask = plan?.promptMask;
            if (prompt && mask) {
              const index = new Int32Array(n * mask.length);
              for (let i = 0; i < n; i++) index.set(mask, i * mask.length);
              prompts = queryOf ? { queries: queryOf(batchRows), index } : { select: () => index };
            } else if (prompt) {
              const select = (queries: Float32Array) =>
                selectPrompts(
                  promptSimilarities(queries, n, layout.view(values, PROMPT_KEYS), prompt.pool, dim),
                  n,
                  prompt.pool,
                  prompt.topK,
                  plan?.promptBatchwise ?? false,
                );
              const queries = queryOf?.(batchRows);
              prompts = queries ? { queries, index: select(queries) } : { select };
            }
            const gradient = preparedBatchGradient(device, batch, batchOptions, sum, prompts);
            if (step + 1 < steps) {
              const at = rng.augment.state;
              const next = prepare(step + 1);
              // Awaited at the next step; a run that ends before it (a failed step) leaves it unread.
              next.catch(() => undefined);
              ahead = { step: step + 1, batch: next, augmentAt: at };
            }
            const loss = await gradient;
            if (!Number.isFinite(loss)) {
              throw new ExperimentError(
                `training diverged: loss ${loss} at task ${t + 1}, epoch ${epoch + 1}, step ${step + 1}`,
              );
            }
            optimizer.step(values, sum, groups);
            lossSum += loss * n;
            trainedImages += n;
            sinceCheckpoint++;
            onProgress({
              phase: 'train',
              task: t,
              tasks: sizes.length,
              epoch,
              epochs: s1.epochs,
              step,
              steps,
              loss,
              lr,
              backboneLr,
              images: n,
            });
          }
          epochLosses.push(lossSum / rows.length);
        }
        weights.set(values.subarray(0, bbLayout.total));
        if (adapters.length > 0)
          method.keepAdapters?.(
            methodState,
            adapters.map((a) => {
              const slot = layout.slot(a.name);
              return { ...a, values: values.slice(slot.offset, slot.offset + slot.size) };
            }),
          );
        heads.push({
          classes: headClasses,
          weight: values.slice(
            layout.slot(HEAD_WEIGHT).offset,
            layout.slot(HEAD_WEIGHT).offset + dim * headClasses,
          ),
          bias: values.slice(layout.slot(HEAD_BIAS).offset, layout.slot(HEAD_BIAS).offset + headClasses),
        });
        taskTrainSeconds += lap();
        seconds.train = taskTrainSeconds;
        trainSeconds += seconds.train;
      }

      // The method's own use of the new classes (prototypes, Gram matrices), from the features the class
      // statistics use too: the task's training images un-augmented, through the backbone after stage 1.
      // What features and evaluation read: the backbone, or the method's merge of it (SLCA++'s LoRA).
      const readBackbone = method.mergedBackbone?.(cfg, weights, methodState) ?? weights;
      // A prompted method's features go through its prompted forward with the prompts as they are now.
      const prompted = method.promptedModel?.(cfg, methodState) ?? null;
      let taskFeatures: Promise<Float32Array> | null = null;
      const features = () =>
        (taskFeatures ??= (async () => {
          if (!fineTunes || readBackbone !== weights || prompted)
            await installReadModel(device, arch, readBackbone, finalNormEps, prompted);
          return extractFeatures(device, data.train, rows, {
            arch,
            normalize: cfg.normalize,
            featureChunk: cfg.compute.featureChunk,
          });
        })());
      if (method.learnTask || cfg.alignment)
        onProgress({ phase: 'statistics', task: t, tasks: sizes.length, classes: total - known });
      if (method.learnTask) {
        const context: TaskContext = {
          task: t,
          config: cfg,
          arch,
          sizes,
          known,
          total,
          rows,
          labels: trainLabels,
          features,
          heads,
          state: methodState,
        };
        await method.learnTask(context);
        if (heads.length !== t + 1)
          throw new ExperimentError(
            `method ${method.id} left ${heads.length} heads after task ${t + 1}, expected ${t + 1}`,
          );
      }

      // Class statistics of the new classes, from un-augmented training images and the trained backbone.
      if (cfg.alignment) {
        const feats = await features();
        for (let c = known; c < total; c++) {
          const classRows = rows.map((r, i) => (trainLabels[r] === c ? i : -1)).filter((i) => i >= 0);
          await statistics.put(classStatistics(feats, dim, classRows, c, t, cfg.covarianceRidge));
        }
      }
      seconds.statistics = lap();

      // Stage 2: classifier alignment on sampled features (from the second task on).
      let evalHeads = heads;
      const alignLosses: number[] = [];
      if (cfg.alignment && t >= 1) {
        const stats: ClassStatistics[] = await statistics.get([...Array(total).keys()]);
        const backup = cloneHeads(heads);
        const aligned = await alignClassifier(
          heads,
          stats,
          t,
          cfg.alignment,
          rng.align,
          (p) => {
            if (p.step === p.steps - 1) alignLosses.push(p.loss);
            onProgress({ phase: 'align', task: t, tasks: sizes.length, ...p });
          },
          method.alignmentFeatureScale?.(cfg) ?? null,
          drawThread ? (await drawThread).source : undefined,
        );
        evalHeads = method.inferenceHeads?.(cfg, aligned, t) ?? aligned;
        if (!cfg.restoreHeadsAfterEval) heads.splice(0, heads.length, ...aligned);
        else heads.splice(0, heads.length, ...backup);
      }
      seconds.align = lap();

      // Evaluation on the test images of every seen class, raw logits, argmax over all seen classes.
      const evaluation = await evaluate({
        task: t,
        backbone: readBackbone,
        finalNormEps,
        heads: evalHeads,
        featureMap,
        prompted,
      });
      matrix = setRow(matrix, t, evaluation.perTask);
      accuracies.push(evaluation.accuracy);
      onProgress({
        phase: 'evaluate',
        task: t,
        tasks: sizes.length,
        accuracy: evaluation.accuracy,
        perTask: evaluation.perTask,
      });
      seconds.evaluate = lap();
      records.push({
        task: t,
        classes: order.slice(known, total),
        trainImages: rows.length,
        epochLosses,
        alignLosses,
        accuracy: evaluation.accuracy,
        seconds,
      });
      await options.checkpoint?.save(snapshot({ task: t + 1, epoch: 0, step: 0 }, null), 'task');
      if (t + 1 < sizes.length) await stopIfAsked(() => snapshot({ task: t + 1, epoch: 0, step: 0 }, null));
    }
  } finally {
    await device.close();
    await drawThread?.then(
      (thread) => thread.close(),
      () => undefined,
    );
  }

  return {
    config: cfg,
    dataset: data.name,
    classOrder: order,
    taskSizes: sizes,
    backend,
    workers,
    device: opened.info,
    accuracyMatrix: matrix,
    accuracies,
    lastAcc: lastAcc(accuracies),
    incAcc: incAcc(accuracies),
    forgetting: forgetting(matrix),
    bwt: bwt(matrix),
    tasks: records,
    trainImagesPerSecond: trainSeconds > 0 ? trainedImages / trainSeconds : 0,
    wallSeconds: elapsed(),
  };
}
