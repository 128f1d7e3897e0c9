import { benchInputPipeline, type PipelineReport } from './pipeline-bench';
import { cpus, loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { Mt19937 } from '@slca/data';
import {
  embeddedConfig,
  emptyMethodState,
  METHOD_REGISTRY,
  stage1ModelSpec,
  newHead,
  Sgd,
  Adam,
  randomBackbone,
} from '@slca/engine';
import {
  initBackend,
  type BackendInfo,
  type BackendRequest,
  type ComputeDevice,
  HEAD_BIAS,
  HEAD_WEIGHT,
  type GradientBatch,
  type ModelSpec,
  describeDevice,
  openComputeDevice,
  type DeviceInfo,
  type DeviceName,
  ParamLayout,
  sharedFloat32,
  promptSimilarities,
  PROMPT_KEYS,
  selectPrompts,
  forwardMacs,
  numPatches,
  paramCount,
  paramSpecs,
  patchInputDim,
  VIT_PRESETS,
  type VitArch,
} from '@slca/compute';
import {
  formatComparison,
  pairRows,
  runPytorchBench,
  type Comparison,
  type OurRow,
  type PythonProbe,
  type PytorchOutput,
  type PytorchRequest,
} from './compare';

/*
 * `slca bench`: how fast this machine trains and runs the ViTs, in img/s and effective GFLOP/s, with the
 * in-thread device and with worker pools. FLOPs are always those of the full nominal model (2 FLOPs per
 * multiply–accumulate of forwardMacs; training = 3 × forward), whatever the kernels actually execute.
 */

export type BenchArchName = keyof typeof VIT_PRESETS;

export interface BenchOptions {
  /** Worker counts to measure: 0 = in-thread LocalDevice, n ≥ 1 = a WorkerPool of n threads. */
  workers: number[];
  /** Target duration of one timed repeat, seconds (default 2; at least one step is always timed). */
  seconds?: number;
  /** Timed repeats per measurement; the median is reported (default 5). */
  repeats?: number;
  /** Untimed warm-up steps before each measurement (default 2). */
  warmupSteps?: number;
  /** Architectures (presets) to measure (default: vit-bench-1block, vit-emoji). */
  arches?: BenchArchName[];
  /** Images per training step and per forward call (default 32). */
  batch?: number;
  /** Fixed number of shards the batch is cut into, whatever the worker count (default 2). */
  shards?: number;
  /** Classes of the trained head (default 10). */
  classes?: number;
  backend?: BackendRequest;
  /** The compute device (default 'wasm'; 'onnx' runs forward passes on onnxruntime: libs/compute/src/device/open-device.ts). */
  device?: DeviceName;
  /**
   * Architectures to measure a second time computing every token of the last block, as PyTorch/timm do:
   * the like-for-like comparison with the PyTorch reference (default: vit-bench-1block).
   */
  allTokenArches?: BenchArchName[];
  /** Skip the 1024³ matMul measurement (tests). */
  skipMatmul?: boolean;
  /**
   * The architecture on which every registered method's stage-1 training step is timed (its embedded
   * configuration's model: trained tensors, adapters, loss), or null for none. Default: vit-emoji when it is
   * among `arches`.
   */
  methodsArch?: BenchArchName | null;
  /**
   * A single large training step to time, measured last: 'vit-b16' = VIT_B16_STEP (what the CLI asks for
   * unless `--no-vit-b16`). Absent: none.
   */
  step?: 'vit-b16' | StepBenchOptions;
  /** Also measure the paper benchmarks' input pipeline (decode + docs/method.md §5.2 transforms). */
  pipeline?: boolean;
  /**
   * Run tools/bench/pytorch_bench.py in this run beside the engine's rows (probeTorch finds the Python): the
   * "(all tokens)" rows and the large-model step (then computed for every token too) get PyTorch partners
   * at the same thread count. A probe that found no torch is recorded as such: no ratios.
   */
  compare?: PythonProbe;
  /** Where the PyTorch script is (default: tools/bench/pytorch_bench.py of this checkout). */
  compareScript?: string;
  onProgress?: (message: string) => void;
}

/**
 * One training step of a large ViT, timed step by step: random weights (randomBackbone) and random images,
 * gradients + SGD step as in the throughput rows, then one forward pass of the same batch.
 */
export interface StepBenchOptions {
  /** A preset, or an explicit architecture with a name for the report (tests use a tiny one). */
  arch: BenchArchName | { name: string; arch: VitArch };
  /** Images per step (default 8). */
  batch?: number;
  /** Shards the batch is cut into (default: one image per shard). */
  shards?: number;
  /** Worker counts to measure (default: only the largest of BenchOptions.workers). */
  workers?: number[];
  /** Untimed steps before the timed ones, per worker count (default 1). */
  warmupSteps?: number;
  /** Timed steps; the median is reported (default 1). */
  steps?: number;
  /** Compute every token of the last block, as PyTorch does (default false: CLS only). */
  allTokens?: boolean;
}

/**
 * ViT-B/16 (224 px, 197 tokens × 768, depth 12) at batch 8, one image per shard: with 4 images per shard a
 * worker's wasm heap (4 GiB at most) overflows and tfjs aborts; 2 per shard runs, but slower. Two warm-up
 * steps, the median of three timed ones (the same for PyTorch): single steps varied by up to 2× here, the
 * first ones slowest (≈ 20 s per step on wasm with 2 workers on 2 cores, 5–14 s on onnx).
 */
export const VIT_B16_STEP = {
  arch: 'vit-b16',
  batch: 8,
  shards: 8,
  warmupSteps: 2,
  steps: 3,
} as const satisfies StepBenchOptions;

/**
 * On the onnx device (no wasm heap limit) the ViT-B/16 batch is cut into 2 shards of 4 images: one per worker
 * on 2 cores, with GEMMs over 788 rows instead of 197.
 */
export const VIT_B16_ONNX_SHARDS = 2;

export interface Measurement {
  /** Median over the timed repeats. */
  imagesPerSecond: number;
  /** Effective GFLOP/s of the nominal model at the median rate. */
  gflops: number;
  /** img/s of every timed repeat, in order. */
  samples: number[];
}

export interface DeviceRun {
  /** 0 = in-thread LocalDevice; n ≥ 1 = WorkerPool with n threads. */
  workers: number;
  device: string;
  train: Measurement;
  forward: Measurement;
}

export interface ArchReport {
  name: string;
  arch: VitArch;
  params: number;
  tokens: number;
  forwardMacsPerImage: number;
  /** What the engine executes (≤ forwardMacsPerImage): see executedForwardMacs. */
  executedForwardMacsPerImage: number;
  forwardFlopsPerImage: number;
  trainFlopsPerImage: number;
  batch: number;
  shards: number;
  runs: DeviceRun[];
  /** 2-worker over 1-worker img/s, when both were measured. */
  scaling?: { train: number; forward: number };
}

/** Median over the timed steps of one large-model step (see StepBenchOptions). */
export interface StepMeasurement {
  /** Seconds per step (training) or per batch (forward). */
  seconds: number;
  imagesPerSecond: number;
  /** Effective GFLOP/s of the nominal model. */
  gflops: number;
  /** Seconds of every timed step, in order. */
  samples: number[];
}

export interface StepRun {
  /** 0 = in-thread LocalDevice; n ≥ 1 = WorkerPool with n threads. */
  workers: number;
  device: string;
  train: StepMeasurement;
  forward: StepMeasurement;
  /** Mean loss of the last training step (finite: checked). */
  loss: number;
  /**
   * Largest resident set of the whole process (main thread and workers) sampled every 100 ms while this
   * device ran its steps, bytes; a device computing in the main thread is only sampled between steps.
   */
  peakRssBytes: number;
}

export interface StepReport {
  name: string;
  arch: VitArch;
  params: number;
  tokens: number;
  forwardMacsPerImage: number;
  executedForwardMacsPerImage: number;
  forwardFlopsPerImage: number;
  trainFlopsPerImage: number;
  batch: number;
  shards: number;
  warmupSteps: number;
  steps: number;
  /** Every token of the last block computed (as PyTorch does), not the CLS token only. */
  allTokens: boolean;
  runs: StepRun[];
  /** The process's resident-set high-water mark (getrusage) after the last run, bytes. */
  processMaxRssBytes: number;
}

export interface MethodBenchRow {
  method: string;
  label: string;
  /** When the method runs stage 1: at every task, at the first only (RanPAC), or never (SimpleCIL). */
  trains: 'every task' | 'first task' | 'never';
  /** Parameters given a gradient (the first task's model). */
  trainedParams: number;
  runs: { workers: number; device: string; train: Measurement }[];
  /** Why the measured device cannot train the method (its configuration check), when it cannot. */
  unavailable?: string;
}

export interface MethodsReport {
  arch: string;
  rows: MethodBenchRow[];
}

export interface BenchReport {
  backend: BackendInfo;
  /** The compute device measured (--device): where forward and training passes run. */
  device: { name: DeviceName; forward: string; gradients: string };
  cpus: number;
  /** 1-, 5-, 15-minute load averages when the bench started and ended. */
  loadAverage: { start: number[]; end: number[] };
  node: string;
  settings: {
    seconds: number;
    repeats: number;
    warmupSteps: number;
    batch: number;
    shards: number;
    classes: number;
  };
  matmul?: { size: number; gflops: number; samples: number[] };
  arches: ArchReport[];
  /** Every method's stage-1 training img/s (BenchOptions.methodsArch). */
  methods?: MethodsReport;
  /** The large-model training step, when asked for (BenchOptions.step). */
  step?: StepReport;
  /** The input pipeline of the paper benchmarks, when asked for (BenchOptions.pipeline). */
  pipeline?: PipelineReport;
  /** The PyTorch comparison, when asked for (BenchOptions.compare). */
  comparison?: Comparison;
  notes: string[];
  startedAt: string;
  wallSeconds: number;
}

/**
 * Multiply–accumulates the forward pass actually executes per image: every block but the last in full; the
 * last computes keys and values for every token but query, attention, projection and MLP for the CLS token
 * only (vit/forward.ts clsBlock), since nothing else reaches the feature.
 */
export function executedForwardMacs(arch: VitArch): number {
  const t = numPatches(arch) + 1;
  const { dim, mlpDim, depth } = arch;
  const patch = numPatches(arch) * patchInputDim(arch) * dim;
  const full = t * dim * 3 * dim + 2 * t * t * dim + t * dim * dim + 2 * t * dim * mlpDim;
  const clsOnly = t * dim * 2 * dim + dim * dim + 2 * t * dim + dim * dim + 2 * dim * mlpDim;
  return patch + (depth - 1) * full + clsOnly;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function measurement(samples: number[], flopsPerImage: number): Measurement {
  const imagesPerSecond = median(samples);
  return { imagesPerSecond, gflops: (imagesPerSecond * flopsPerImage) / 1e9, samples };
}

/** Runs `step` (which processes `images` images) for warm-up, then `repeats` timed runs of ≈ `seconds`. */
async function timeRepeats(
  step: () => Promise<void>,
  images: number,
  o: { seconds: number; repeats: number; warmupSteps: number },
): Promise<number[]> {
  for (let i = 0; i < o.warmupSteps; i++) await step();
  const samples: number[] = [];
  for (let r = 0; r < o.repeats; r++) {
    const start = performance.now();
    let steps = 0;
    do {
      await step();
      steps++;
    } while (performance.now() - start < o.seconds * 1000);
    samples.push((steps * images) / ((performance.now() - start) / 1000));
  }
  return samples;
}

/** matMul [n,n]·[n,n] on the main thread: GFLOP/s (2n³ FLOPs per product), median of `repeats`. */
export function measureMatmul(n = 1024, repeats = 5): { size: number; gflops: number; samples: number[] } {
  const fill = (seed: number) => {
    const v = new Float32Array(n * n);
    for (let i = 0; i < v.length; i++) v[i] = Math.sin(i * 0.731 + seed) * 0.5;
    return tf.tensor2d(v, [n, n]);
  };
  const a = fill(1);
  const b = fill(2);
  try {
    // Never return a TypedArray from tf.tidy: tidy walks every element of what it returns.
    const run = () => {
      const c = tf.matMul(a, b);
      c.dataSync();
      c.dispose();
    };
    run();
    run();
    const samples: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const start = performance.now();
      let count = 0;
      do {
        run();
        count++;
      } while (performance.now() - start < 300);
      samples.push((2 * n ** 3 * count) / ((performance.now() - start) / 1000) / 1e9);
    }
    return { size: n, gflops: median(samples), samples };
  } finally {
    tf.dispose([a, b]);
  }
}

/** A deterministic synthetic batch: smooth pseudo-image patches, labels cycling over the classes. */
function syntheticShards(arch: VitArch, batch: number, shards: number, classes: number): GradientBatch[] {
  const perImage = numPatches(arch) * patchInputDim(arch);
  const out: GradientBatch[] = [];
  for (let s = 0; s < shards; s++) {
    const a = Math.floor((s * batch) / shards);
    const b = Math.floor(((s + 1) * batch) / shards);
    const patches = new Float32Array((b - a) * perImage);
    for (let i = 0; i < patches.length; i++) patches[i] = Math.sin((a * perImage + i) * 0.0137) * 1.7;
    out.push({
      patches,
      labels: Int32Array.from({ length: b - a }, (_, i) => (a + i) % classes),
      count: b - a,
    });
  }
  return out;
}

async function openDevice(
  workers: number,
  backend: BackendInfo,
  name: DeviceName,
): Promise<{ device: ComputeDevice; label: string; info: DeviceInfo }> {
  const { device, info } = await openComputeDevice(name, workers, backend.name);
  const where = workers === 0 ? 'LocalDevice (main thread)' : `WorkerPool(${workers})`;
  return { device, info, label: name === 'wasm' ? where : `${where}, ${name}` };
}

interface BenchModel {
  layout: ParamLayout;
  /** Writes the random backbone (randomBackbone) and head into a model's flat parameters, in layout order. */
  initialise(values: Float32Array): void;
  spec: ModelSpec;
}

function benchModel(arch: VitArch, classes: number, allTokens: boolean): BenchModel {
  const layout = new ParamLayout([
    ...paramSpecs(arch).map((s) => ({ name: s.name, shape: s.shape })),
    { name: HEAD_WEIGHT, shape: [arch.dim, classes] },
    { name: HEAD_BIAS, shape: [classes] },
  ]);
  // Regenerated for each device rather than kept: a copy of ViT-B/16's parameters is 344 MB of peak RSS.
  const initialise = (values: Float32Array) => {
    randomBackbone(arch, new Mt19937(1234), values);
    const head = newHead(arch.dim, classes, new Mt19937(5678));
    values.set(head.weight, layout.slot(HEAD_WEIGHT).offset);
    values.set(head.bias, layout.slot(HEAD_BIAS).offset);
  };
  const spec: ModelSpec = {
    arch,
    layout: layout.toJSON(),
    finalNormEps: 1e-5,
    trainBackbone: true,
    fullLastBlock: allTokens,
  };
  return { layout, initialise, spec };
}

/**
 * Installs the model on the device and returns one training step (resolving to its mean loss): shard
 * gradients and their weighted sum on the device (a pool adds the sum up in its workers), then the SGD update
 * in this thread; the device sees the new parameters on its next call.
 */
async function installTraining(
  device: ComputeDevice,
  model: BenchModel,
  shards: GradientBatch[],
  batch: number,
): Promise<() => Promise<number>> {
  const total = model.layout.total;
  const values = sharedFloat32(total);
  model.initialise(values);
  await device.setModel(model.spec, values);
  const sum = sharedFloat32(total);
  const weights = shards.map((s) => s.count / batch);
  const sgd = new Sgd(total, { momentum: 0.9, weightDecay: 5e-4 });
  const groups = [{ start: 0, end: total, lr: 1e-3 }];
  return async () => {
    const losses = await device.gradientsAndSum(shards, weights, sum);
    const loss = losses.reduce((acc, l, k) => acc + weights[k] * l, 0);
    if (!Number.isFinite(loss)) throw new Error(`bench: training diverged (loss ${loss})`);
    sgd.step(values, sum, groups);
    return loss;
  };
}

async function benchArch(
  name: BenchArchName,
  backend: BackendInfo,
  o: Required<
    Omit<
      BenchOptions,
      | 'arches'
      | 'allTokenArches'
      | 'backend'
      | 'onProgress'
      | 'skipMatmul'
      | 'step'
      | 'pipeline'
      | 'compare'
      | 'compareScript'
      | 'methodsArch'
    >
  >,
  progress: (m: string) => void,
  allTokens = false,
): Promise<ArchReport> {
  const arch: VitArch = { ...VIT_PRESETS[name] };
  const macs = forwardMacs(arch);
  const forwardFlops = 2 * macs;
  const trainFlops = 3 * forwardFlops;
  const model = benchModel(arch, o.classes, allTokens);
  const label = allTokens ? `${name} (all tokens)` : name;
  const shards = syntheticShards(arch, o.batch, o.shards, o.classes);
  const chunks = shards.map((s) => ({ patches: s.patches, count: s.count }));
  const runs: DeviceRun[] = [];
  for (const workers of o.workers) {
    progress(`${label}: ${workers === 0 ? 'in-thread' : `${workers} worker(s)`}`);
    const { device, label: deviceLabel } = await openDevice(workers, backend, o.device);
    try {
      const train = await installTraining(device, model, shards, o.batch);
      const trainStep = async () => {
        await train();
      };
      const forwardStep = async () => {
        await device.features(chunks);
      };
      const trainSamples = await timeRepeats(trainStep, o.batch, o);
      const forwardSamples = await timeRepeats(forwardStep, o.batch, o);
      runs.push({
        workers,
        device: deviceLabel,
        train: measurement(trainSamples, trainFlops),
        forward: measurement(forwardSamples, forwardFlops),
      });
    } finally {
      await device.close();
    }
  }
  const one = runs.find((r) => r.workers === 1);
  const two = runs.find((r) => r.workers === 2);
  const report: ArchReport = {
    name: label,
    arch,
    params: paramCount(arch),
    tokens: numPatches(arch) + 1,
    forwardMacsPerImage: macs,
    // The onnx device's graphs compute every token of every block (onnx-vit.ts, onnx-vit-train.ts).
    executedForwardMacsPerImage: allTokens || o.device === 'onnx' ? macs : executedForwardMacs(arch),
    forwardFlopsPerImage: forwardFlops,
    trainFlopsPerImage: trainFlops,
    batch: o.batch,
    shards: o.shards,
    runs,
  };
  if (one && two) {
    report.scaling = {
      train: two.train.imagesPerSecond / one.train.imagesPerSecond,
      forward: two.forward.imagesPerSecond / one.forward.imagesPerSecond,
    };
  }
  return report;
}

/**
 * Every registered method's stage-1 training step on `name`, as the runner installs it at the first task:
 * the method's embedded configuration (its trained tensors, adapters such as SLCA++'s LoRA or L2P's prompts,
 * loss, optimizer), random weights and synthetic shards. Methods without stage 1 get a row without runs.
 */
async function benchMethods(
  name: BenchArchName,
  backend: BackendInfo,
  o: { workers: number[]; batch: number; shards: number; classes: number; device: DeviceName } & Parameters<
    typeof timeRepeats
  >[2],
  progress: (m: string) => void,
): Promise<MethodsReport> {
  const arch: VitArch = { ...VIT_PRESETS[name] };
  const trainFlops = 3 * 2 * forwardMacs(arch);
  const shards = syntheticShards(arch, o.batch, o.shards, o.classes);
  const weights = shards.map((sh) => sh.count / o.batch);
  const rows: MethodBenchRow[] = [];
  for (const method of METHOD_REGISTRY) {
    const cfg = { ...embeddedConfig(method.id, 1993), arch };
    const trains = method.fineTunes(cfg, 1)
      ? 'every task'
      : method.fineTunes(cfg, 0)
        ? 'first task'
        : 'never';
    if (trains === 'never') {
      rows.push({ method: method.id, label: method.label, trains, trainedParams: 0, runs: [] });
      continue;
    }
    const refused = method.issues({ ...cfg, compute: { ...cfg.compute, device: o.device } });
    if (refused.length > 0) {
      const unavailable = refused.map((i) => `${i.path}: ${i.message}`).join('; ');
      rows.push({ method: method.id, label: method.label, trains, trainedParams: 0, runs: [], unavailable });
      continue;
    }
    progress(`methods on ${name}: ${method.label}`);
    const backbone = randomBackbone(arch, new Mt19937(1234));
    const state = method.initialState?.(cfg, o.classes) ?? emptyMethodState();
    const adapters =
      (await method.adapters?.({ config: cfg, arch, task: 0, backbone, state, resuming: false })) ?? [];
    const layout = new ParamLayout([
      ...paramSpecs(arch).map((sp) => ({ name: sp.name, shape: sp.shape })),
      ...adapters.map((a) => ({ name: a.name, shape: a.shape })),
      { name: HEAD_WEIGHT, shape: [arch.dim, o.classes] },
      { name: HEAD_BIAS, shape: [o.classes] },
    ]);
    const initial = new Float32Array(layout.total);
    initial.set(backbone, 0);
    for (const a of adapters) initial.set(a.values, layout.slot(a.name).offset);
    const head = newHead(arch.dim, o.classes, new Mt19937(5678));
    initial.set(head.weight, layout.slot(HEAD_WEIGHT).offset);
    initial.set(head.bias, layout.slot(HEAD_BIAS).offset);
    const plan = method.stage1Plan?.(cfg, 0) ?? null;
    const spec = stage1ModelSpec(plan, layout, { arch, finalNormEps: 1e-5 }, cfg.stage1);
    const s1 = cfg.stage1;
    const backboneSize = paramCount(arch);
    const groups = plan
      ? layout.slots.map((slot) => ({
          start: slot.offset,
          end: slot.offset + slot.size,
          lr: plan.lr(slot.name, 0),
        }))
      : [
          { start: 0, end: backboneSize, lr: s1.lr * s1.backboneLrScale },
          { start: backboneSize, end: layout.total, lr: s1.lr },
        ];
    const trainedNames =
      spec.trainable ??
      layout.slots
        .map((slot) => slot.name)
        .filter((n, i) => spec.trainBackbone || i >= paramSpecs(arch).length);
    const trainedParams = trainedNames.reduce((acc, n) => acc + layout.slot(n).size, 0);
    // A prompted method's batches carry each image's query and its selected prompts (the task's mask, or
    // chosen by the keys). With `once-per-task` queries a run computes them before the epochs (not timed
    // here: synthetic values); with `per-step` each step's query pass is timed below.
    const prompt = plan?.prompt;
    const methodShards = prompt
      ? shards.map((sh, k) => {
          const queries = Float32Array.from({ length: sh.count * arch.dim }, (_, i) =>
            Math.sin((k * 7919 + i) * 0.031),
          );
          const keys = layout.view(initial, PROMPT_KEYS);
          const mask = plan?.promptMask;
          const promptIndex = mask
            ? Int32Array.from({ length: sh.count * mask.length }, (_, i) => mask[i % mask.length])
            : selectPrompts(
                promptSimilarities(queries, sh.count, keys, prompt.pool, arch.dim),
                sh.count,
                prompt.pool,
                prompt.topK,
                plan?.promptBatchwise ?? false,
              );
          return { ...sh, queries, promptIndex };
        })
      : shards;
    const trainedRanges = trainedNames.map((n) => {
      const slot = layout.slot(n);
      return { start: slot.offset, end: slot.offset + slot.size };
    });
    const runs: MethodBenchRow['runs'] = [];
    for (const workers of o.workers) {
      const { device, label } = await openDevice(workers, backend, o.device);
      try {
        const values = sharedFloat32(layout.total);
        values.set(initial);
        await device.setModel(spec, values);
        const sum = sharedFloat32(layout.total);
        const optimizer =
          plan?.optimizer?.kind === 'adam'
            ? new Adam(trainedRanges, plan.optimizer)
            : new Sgd(layout.total, { momentum: s1.momentum, weightDecay: s1.weightDecay });
        const queryPass = prompt && plan?.promptQueries === 'per-step';
        const step = async () => {
          if (queryPass)
            await device.features(
              shards.map((sh) => ({ patches: sh.patches, count: sh.count })),
              { unprompted: true },
            );
          const losses = await device.gradientsAndSum(methodShards, weights, sum);
          const loss = losses.reduce((acc, l, k) => acc + weights[k] * l, 0);
          if (!Number.isFinite(loss)) throw new Error(`bench: ${method.id} diverged (loss ${loss})`);
          optimizer.step(values, sum, groups);
        };
        runs.push({
          workers,
          device: label,
          train: measurement(await timeRepeats(step, o.batch, o), trainFlops),
        });
      } finally {
        await device.close();
      }
    }
    rows.push({ method: method.id, label: method.label, trains, trainedParams, runs });
  }
  return { arch: name, rows };
}

/** Random images (uniform in [-1, 1), pre-patchified) and random labels, cut into `shards` shards. */
function randomShards(arch: VitArch, batch: number, shards: number, classes: number): GradientBatch[] {
  const rng = new Mt19937(4321);
  const perImage = numPatches(arch) * patchInputDim(arch);
  const out: GradientBatch[] = [];
  for (let s = 0; s < shards; s++) {
    const count = Math.floor(((s + 1) * batch) / shards) - Math.floor((s * batch) / shards);
    const patches = new Float32Array(count * perImage);
    for (let i = 0; i < patches.length; i++) patches[i] = 2 * rng.randomSample() - 1;
    const labels = Int32Array.from({ length: count }, () => Math.floor(rng.randomSample() * classes));
    out.push({ patches, labels, count });
  }
  return out;
}

function stepMeasurement(seconds: number[], images: number, flopsPerImage: number): StepMeasurement {
  const perStep = median(seconds);
  const imagesPerSecond = images / perStep;
  return {
    seconds: perStep,
    imagesPerSecond,
    gflops: (imagesPerSecond * flopsPerImage) / 1e9,
    samples: seconds,
  };
}

/** Runs `step` `warmup` times untimed, then `steps` times timed: seconds of each timed run. */
async function timeSteps(step: () => Promise<unknown>, warmup: number, steps: number): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await step();
  const seconds: number[] = [];
  for (let i = 0; i < steps; i++) {
    const start = performance.now();
    await step();
    seconds.push((performance.now() - start) / 1000);
  }
  return seconds;
}

/** Times single training steps and forward passes of a large ViT (see StepBenchOptions). */
async function benchStep(
  options: StepBenchOptions,
  defaultWorkers: number[],
  classes: number,
  backend: BackendInfo,
  progress: (m: string) => void,
  deviceChoice: DeviceName,
): Promise<StepReport> {
  const { name, arch } =
    typeof options.arch === 'string'
      ? { name: options.arch, arch: { ...VIT_PRESETS[options.arch] } as VitArch }
      : options.arch;
  const batch = options.batch ?? 8;
  const shardCount = options.shards ?? batch;
  const warmupSteps = options.warmupSteps ?? 1;
  const steps = options.steps ?? 1;
  const workerCounts = options.workers ?? [Math.max(...defaultWorkers)];
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`bench: step batch must be ≥ 1, got ${batch}`);
  if (!Number.isInteger(shardCount) || shardCount < 1 || shardCount > batch) {
    throw new Error(`bench: step shards must be an integer in 1..batch, got ${shardCount}`);
  }
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0) throw new Error('bench: step warm-up must be ≥ 0');
  if (!Number.isInteger(steps) || steps < 1) throw new Error('bench: timed steps must be ≥ 1');
  for (const w of workerCounts) {
    if (!Number.isInteger(w) || w < 0) throw new Error(`bench: worker counts must be integers ≥ 0, got ${w}`);
  }
  const macs = forwardMacs(arch);
  const forwardFlops = 2 * macs;
  const trainFlops = 3 * forwardFlops;
  const model = benchModel(arch, classes, options.allTokens ?? false);
  const shards = randomShards(arch, batch, shardCount, classes);
  const chunks = shards.map((s) => ({ patches: s.patches, count: s.count }));
  const runs: StepRun[] = [];
  for (const workers of workerCounts) {
    progress(`${name} step, batch ${batch}: ${workers === 0 ? 'in-thread' : `${workers} worker(s)`}`);
    let peakRss = process.memoryUsage.rss();
    const sample = () => {
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
    };
    const sampler = setInterval(sample, 100);
    const { device, label: deviceLabel } = await openDevice(workers, backend, deviceChoice);
    try {
      const train = await installTraining(device, model, shards, batch);
      let loss = Number.NaN;
      const trainStep = async () => {
        loss = await train();
        sample();
      };
      const forwardStep = async () => {
        await device.features(chunks);
        sample();
      };
      const trainSeconds = await timeSteps(trainStep, warmupSteps, steps);
      const forwardSeconds = await timeSteps(forwardStep, warmupSteps, steps);
      runs.push({
        workers,
        device: deviceLabel,
        train: stepMeasurement(trainSeconds, batch, trainFlops),
        forward: stepMeasurement(forwardSeconds, batch, forwardFlops),
        loss,
        peakRssBytes: peakRss,
      });
    } finally {
      clearInterval(sampler);
      await device.close();
    }
  }
  return {
    name,
    arch,
    params: paramCount(arch),
    tokens: numPatches(arch) + 1,
    forwardMacsPerImage: macs,
    executedForwardMacsPerImage: executedForwardMacs(arch),
    forwardFlopsPerImage: forwardFlops,
    trainFlopsPerImage: trainFlops,
    batch,
    shards: shardCount,
    warmupSteps,
    steps,
    allTokens: options.allTokens ?? false,
    runs,
    // getrusage reports kilobytes on Linux.
    processMaxRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}

/**
 * Measures matMul throughput and, for each architecture and worker count, training and forward img/s with
 * warm-up and the median of several timed repeats. Results are for a synthetic batch: data loading,
 * augmentation and patchify are not part of the timed step.
 */
export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const loadStart = loadavg();
  const o = {
    workers: options.workers,
    seconds: options.seconds ?? 2,
    repeats: options.repeats ?? 5,
    warmupSteps: options.warmupSteps ?? 2,
    batch: options.batch ?? 32,
    shards: options.shards ?? 2,
    classes: options.classes ?? 10,
    device: options.device ?? 'wasm',
  };
  if (o.workers.length === 0) throw new Error('bench: no worker counts to measure');
  for (const w of o.workers) {
    if (!Number.isInteger(w) || w < 0) throw new Error(`bench: worker counts must be integers ≥ 0, got ${w}`);
  }
  if (!(o.seconds > 0)) throw new Error(`bench: seconds must be > 0, got ${o.seconds}`);
  if (!Number.isInteger(o.repeats) || o.repeats < 1) throw new Error(`bench: repeats must be ≥ 1`);
  if (!Number.isInteger(o.shards) || o.shards < 1 || o.shards > o.batch) {
    throw new Error(`bench: shards must be an integer in 1..batch, got ${o.shards}`);
  }
  const arches = options.arches ?? (['vit-bench-1block', 'vit-emoji'] as BenchArchName[]);
  for (const a of arches) if (!(a in VIT_PRESETS)) throw new Error(`bench: unknown architecture '${a}'`);
  const progress = options.onProgress ?? (() => undefined);
  const backend = await initBackend(options.backend ?? 'auto');
  progress(`backend ${backend.name}`);
  const matmul = options.skipMatmul ? undefined : measureMatmul(1024);
  const reports: ArchReport[] = [];
  const allTokenArches = options.allTokenArches ?? (['vit-bench-1block'] as BenchArchName[]);
  for (const name of arches) {
    reports.push(await benchArch(name, backend, o, progress));
    if (allTokenArches.includes(name)) reports.push(await benchArch(name, backend, o, progress, true));
  }
  const methodsArch =
    options.methodsArch === undefined
      ? arches.includes('vit-emoji')
        ? 'vit-emoji'
        : null
      : options.methodsArch;
  if (methodsArch && !(methodsArch in VIT_PRESETS))
    throw new Error(`bench: unknown architecture '${methodsArch}'`);
  const methods = methodsArch ? await benchMethods(methodsArch, backend, o, progress) : undefined;
  const compare = options.compare;
  const torchRun = (request: PytorchRequest): Promise<PytorchOutput> | undefined =>
    compare?.available
      ? runPytorchBench(compare.python, request, { script: options.compareScript, onProgress: progress })
      : undefined;
  // PyTorch right after the engine's rows, under the same load: every token computed, as its model does.
  const threadsOf = (workers: number) => Math.max(1, workers);
  const compared = reports.filter((r) => r.executedForwardMacsPerImage === r.forwardMacsPerImage);
  const torchRows =
    compared.length > 0
      ? await torchRun({
          batch: o.batch,
          classes: o.classes,
          seconds: o.seconds,
          repeats: o.repeats,
          warmupSteps: o.warmupSteps,
          threads: [...new Set(o.workers.map(threadsOf))],
          arches: compared.map((r) => ({ name: r.name, arch: r.arch })),
        })
      : undefined;
  const stepOptions: StepBenchOptions | undefined = options.step
    ? {
        ...(options.step === 'vit-b16'
          ? { ...VIT_B16_STEP, shards: o.device === 'onnx' ? VIT_B16_ONNX_SHARDS : VIT_B16_STEP.shards }
          : options.step),
        ...(compare?.available ? { allTokens: true } : {}),
      }
    : undefined;
  const step = stepOptions
    ? await benchStep(stepOptions, o.workers, o.classes, backend, progress, o.device)
    : undefined;
  // The large step in a process of its own, so that its peak RSS is that of the step alone.
  const torchSteps: PytorchOutput[] = [];
  if (step && compare?.available) {
    for (const run of step.runs) {
      const out = await torchRun({
        batch: step.batch,
        classes: o.classes,
        seconds: o.seconds,
        repeats: 1,
        warmupSteps: 0,
        threads: [],
        arches: [],
        step: {
          name: step.name,
          arch: step.arch,
          batch: step.batch,
          threads: threadsOf(run.workers),
          warmupSteps: step.warmupSteps,
          steps: step.steps,
        },
      });
      if (out) torchSteps.push(out);
    }
  }
  let comparison: Comparison | undefined;
  if (compare) {
    const ours: OurRow[] = [
      ...compared.flatMap((r) =>
        r.runs.map((run) => ({
          name: r.name,
          device: run.device,
          threads: threadsOf(run.workers),
          trainImagesPerSecond: run.train.imagesPerSecond,
          forwardImagesPerSecond: run.forward.imagesPerSecond,
        })),
      ),
      ...(step?.allTokens
        ? step.runs.map((run) => ({
            name: step.name,
            device: run.device,
            threads: threadsOf(run.workers),
            trainImagesPerSecond: run.train.imagesPerSecond,
            forwardImagesPerSecond: run.forward.imagesPerSecond,
            peakRssBytes: run.peakRssBytes,
          }))
        : []),
    ];
    const theirs = [...(torchRows?.rows ?? []), ...torchSteps.flatMap((t) => (t.step ? [t.step] : []))];
    const version = torchRows ?? torchSteps[0];
    comparison = compare.available
      ? { torch: version?.torch ?? compare.torch, python: compare.python, pairs: pairRows(ours, theirs) }
      : { python: compare.python, unavailable: compare.reason, pairs: [] };
  }
  if (options.pipeline) progress('input pipeline (decode + docs/method.md §5.2 transforms at 224 px)');
  const pipeline = options.pipeline ? await benchInputPipeline() : undefined;
  const deviceInfo = describeDevice(o.device, 0, backend.name);
  return {
    backend,
    device: { name: deviceInfo.name, forward: deviceInfo.forward, gradients: deviceInfo.gradients },
    cpus: cpus().length,
    loadAverage: { start: loadStart, end: loadavg() },
    node: process.version,
    settings: {
      seconds: o.seconds,
      repeats: o.repeats,
      warmupSteps: o.warmupSteps,
      batch: o.batch,
      shards: o.shards,
      classes: o.classes,
    },
    matmul,
    arches: reports,
    methods,
    step,
    pipeline,
    comparison,
    notes: [
      'Effective GFLOP/s count the full nominal model: forward = 2 × forwardMacs per image, training = 3 × forward.',
      'Rows marked "(all tokens)" compute every token of the last block, as PyTorch does: the like-for-like comparison with PyTorch (--compare pytorch). ' +
        'Elsewhere work is skipped: the last block is computed for the CLS token only (keys and values for every token; query, ' +
        'attention, projection and MLP for CLS alone), since nothing else reaches the feature. The features and ' +
        'gradients are those of the full model; the nominal GFLOP/s can therefore exceed what the kernels execute ' +
        '(see "executes" per model).',
      'A training step = shard gradients and their weighted sum on the compute device (a pool adds the sum up in its workers) + SGD (momentum 0.9) in the main thread, on a synthetic pre-patchified batch (no data loading or augmentation).',
      'Shards are fixed in number whatever the worker count, so results are bit-identical for 0, 1 or 2 workers.',
      ...(step
        ? [
            `The ${step.name} step row times single steps (${step.warmupSteps} warm-up, median of ${step.steps} timed) with random weights ` +
              `(randomBackbone) and random images, batch ${step.batch} in ${step.shards} shards, ${step.allTokens ? 'every token of the last block' : 'CLS-only last block'}; ` +
              'peak RSS is that of the whole process (main thread and workers).',
          ]
        : []),
    ],
    startedAt,
    wallSeconds: (performance.now() - started) / 1000,
  };
}

function fmt(x: number, digits = 1): string {
  return x.toFixed(digits);
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows
    .map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '))
    .join('\n');
}

function gb(bytes: number): string {
  return `${(bytes / 1e9).toFixed(2)} GB`;
}

function formatStep(st: StepReport): string[] {
  const a = st.arch;
  const rows = [
    ['device', 's/step', 'train img/s', 'train GFLOP/s', 's/forward', 'forward img/s', 'loss', 'peak RSS'],
  ];
  for (const r of st.runs) {
    rows.push([
      r.device,
      fmt(r.train.seconds, 2),
      fmt(r.train.imagesPerSecond, 2),
      fmt(r.train.gflops, 2),
      fmt(r.forward.seconds, 2),
      fmt(r.forward.imagesPerSecond, 2),
      fmt(r.loss, 3),
      gb(r.peakRssBytes),
    ]);
  }
  return [
    `${st.name} training step, batch ${st.batch} in ${st.shards} shards: ${a.imageSize} px, patch ${a.patchSize}, ` +
      `${st.tokens} tokens × ${a.dim}, depth ${a.depth}, ${a.heads} heads, MLP ${a.mlpDim}; ` +
      `${(st.params / 1e6).toFixed(2)} M params; random weights and images; ${st.warmupSteps} warm-up + ` +
      `${st.steps} timed step(s)`,
    table(rows),
    `process peak RSS (getrusage): ${gb(st.processMaxRssBytes)}`,
  ];
}

function formatMethods(m: MethodsReport): string[] {
  const reference = m.rows.find((r) => r.method === 'slca');
  const devices = [...new Set(m.rows.flatMap((r) => r.runs.map((run) => run.device)))];
  const rows = [
    ['method', 'stage 1', 'trained params', ...devices.flatMap((d) => [`${d} train img/s`, '× SLCA'])],
  ];
  for (const r of m.rows) {
    rows.push([
      r.label,
      r.trains,
      r.trains === 'never' || r.unavailable ? '–' : String(r.trainedParams),
      ...devices.flatMap((d) => {
        if (r.unavailable) return [`not on ${d.split(', ').at(-1)}`, '–'];
        const run = r.runs.find((x) => x.device === d);
        const ref = reference?.runs.find((x) => x.device === d);
        if (!run) return ['–', '–'];
        return [
          fmt(run.train.imagesPerSecond),
          ref ? `${fmt(run.train.imagesPerSecond / ref.train.imagesPerSecond, 2)}×` : '–',
        ];
      }),
    ]);
  }
  return [
    `methods on ${m.arch}: each method's stage-1 training step as its embedded configuration installs it (first task)`,
    table(rows),
    ...m.rows.filter((r) => r.unavailable).map((r) => `  ${r.label}: ${r.unavailable}`),
  ];
}

function formatPipeline(p: PipelineReport): string[] {
  const rows = [['source', 'train img/s', `train img/s, ${p.transformWorkers} workers`, 'eval img/s']];
  for (const r of p.runs)
    rows.push([
      r.source,
      fmt(r.trainImagesPerSecond),
      fmt(r.trainPooledImagesPerSecond),
      fmt(r.evalImagesPerSecond),
    ]);
  return [
    `input pipeline at ${p.size} px (libvips decodes on its own threads): train = decode at source size + ` +
      `the docs/method.md §5.2 training transforms on the main thread, or on ${p.transformWorkers} transform worker threads ` +
      `(--transform-workers); eval = decode + resize → centre crop; ${p.runs[0]?.images ?? 0} synthetic images each`,
    table(rows),
  ];
}

/** A readable summary of a bench report. */
export function formatBenchReport(report: BenchReport): string {
  const lines: string[] = [];
  const b = report.backend;
  lines.push(
    `backend ${b.name}${b.simd !== undefined ? ` (simd ${b.simd ? 'on' : 'off'}, threads ${b.threads ? 'on' : 'off'})` : ''}` +
      `, ${report.cpus} CPUs, node ${report.node}`,
  );
  lines.push(
    `device ${report.device.name}: forward on ${report.device.forward}, training gradients on ${report.device.gradients}`,
  );
  lines.push(
    `load average ${report.loadAverage.start.map((x) => fmt(x, 2)).join(' ')} at start, ` +
      `${report.loadAverage.end.map((x) => fmt(x, 2)).join(' ')} at end`,
  );
  const s = report.settings;
  lines.push(
    `batch ${s.batch} in ${s.shards} shards, ${s.warmupSteps} warm-up steps, median of ${s.repeats} × ${s.seconds} s`,
  );
  if (report.matmul) {
    lines.push(`matMul ${report.matmul.size}³ (main thread): ${fmt(report.matmul.gflops)} GFLOP/s`);
  }
  for (const a of report.arches) {
    lines.push('');
    lines.push(
      `${a.name}: ${a.arch.imageSize} px, patch ${a.arch.patchSize}, ${a.tokens} tokens × ${a.arch.dim}, depth ${a.arch.depth}, ` +
        `${a.arch.heads} heads, MLP ${a.arch.mlpDim}; ${(a.params / 1e6).toFixed(2)} M params; ` +
        `${fmt(a.forwardFlopsPerImage / 1e6)} MFLOP forward / ${fmt(a.trainFlopsPerImage / 1e6)} MFLOP train per image`,
    );
    lines.push(
      a.executedForwardMacsPerImage === a.forwardMacsPerImage
        ? '  executes the full nominal model (every token of every block, as PyTorch/timm)'
        : `  executes ${fmt((2 * a.executedForwardMacsPerImage) / 1e6)} of the ${fmt(a.forwardFlopsPerImage / 1e6)} nominal ` +
            `forward MFLOP per image (${fmt((100 * a.executedForwardMacsPerImage) / a.forwardMacsPerImage, 0)}%: last block for the CLS token only)`,
    );
    const rows = [['device', 'train img/s', 'train GFLOP/s', 'forward img/s', 'forward GFLOP/s']];
    for (const r of a.runs) {
      rows.push([
        r.device,
        fmt(r.train.imagesPerSecond),
        fmt(r.train.gflops, 2),
        fmt(r.forward.imagesPerSecond),
        fmt(r.forward.gflops, 2),
      ]);
    }
    lines.push(table(rows));
    if (a.scaling) {
      lines.push(
        `scaling 2 workers / 1 worker: train ${fmt(a.scaling.train, 2)}×, forward ${fmt(a.scaling.forward, 2)}×`,
      );
    }
  }
  if (report.methods) lines.push('', ...formatMethods(report.methods));
  if (report.step) lines.push('', ...formatStep(report.step));
  if (report.pipeline) lines.push('', ...formatPipeline(report.pipeline));
  if (report.comparison) lines.push('', ...formatComparison(report.comparison));
  lines.push('');
  for (const n of report.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
}
