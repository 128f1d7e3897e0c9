import { cpus, loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { Mt19937 } from '@slca/data';
import { initBackend, type BackendInfo, type BackendRequest } from '../backend';
import type { ComputeDevice } from '../compute/device';
import { LocalDevice } from '../compute/local-device';
import { HEAD_BIAS, HEAD_WEIGHT, type GradientBatch, type ModelSpec } from '../compute/model-step';
import { WorkerPool } from '../compute/worker-pool';
import { newHead } from '../slca/heads';
import { ParamLayout, sharedFloat32 } from '../train/params';
import { Sgd } from '../train/sgd';
import {
  forwardMacs,
  numPatches,
  paramCount,
  paramSpecs,
  patchInputDim,
  VIT_PRESETS,
  type VitArch,
} from '../vit/arch';
import { randomBackbone } from '../weights/vit-weights';

/*
 * `slca bench`: how fast this machine trains and runs the ViTs, in img/s and effective GFLOP/s, with the
 * in-thread device and with worker pools. FLOPs are always those of the full nominal model (2 FLOPs per
 * multiply–accumulate of forwardMacs; training = 3 × forward), whatever the kernels actually execute.
 */

/** PyTorch 2 on one CPU thread of the same machine, 1-block ViT, batch 32 (docs/ENVIRONMENT.md). */
export const PYTORCH_REFERENCE = {
  arch: 'vit-bench-1block',
  source: 'PyTorch CPU, 1 thread, batch 32, same machine',
  trainImagesPerSecond: 197,
  forwardImagesPerSecond: 530,
} as const;

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
  /**
   * Architectures to measure a second time computing every token of the last block, as PyTorch/timm do:
   * the like-for-like comparison with the PyTorch reference (default: vit-bench-1block).
   */
  allTokenArches?: BenchArchName[];
  /** Skip the 1024³ matMul measurement (tests). */
  skipMatmul?: boolean;
  onProgress?: (message: string) => void;
}

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
  reference?: {
    source: string;
    trainImagesPerSecond: number;
    forwardImagesPerSecond: number;
    /** Best measured img/s over the reference (the target for training is ≥ 0.5). */
    trainRatio: number;
    forwardRatio: number;
  };
}

export interface BenchReport {
  backend: BackendInfo;
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

async function openDevice(workers: number, backend: BackendInfo): Promise<ComputeDevice> {
  return workers > 0 ? WorkerPool.create(workers, backend.name) : new LocalDevice();
}

async function benchArch(
  name: BenchArchName,
  backend: BackendInfo,
  o: Required<Omit<BenchOptions, 'arches' | 'allTokenArches' | 'backend' | 'onProgress' | 'skipMatmul'>>,
  progress: (m: string) => void,
  allTokens = false,
): Promise<ArchReport> {
  const arch: VitArch = { ...VIT_PRESETS[name] };
  const macs = forwardMacs(arch);
  const forwardFlops = 2 * macs;
  const trainFlops = 3 * forwardFlops;
  const layout = new ParamLayout([
    ...paramSpecs(arch).map((s) => ({ name: s.name, shape: s.shape })),
    { name: HEAD_WEIGHT, shape: [arch.dim, o.classes] },
    { name: HEAD_BIAS, shape: [o.classes] },
  ]);
  const initial = new Float32Array(layout.total);
  initial.set(randomBackbone(arch, new Mt19937(1234)), 0);
  const head = newHead(arch.dim, o.classes, new Mt19937(5678));
  initial.set(head.weight, layout.slot(HEAD_WEIGHT).offset);
  initial.set(head.bias, layout.slot(HEAD_BIAS).offset);
  const spec: ModelSpec = {
    arch,
    layout: layout.toJSON(),
    finalNormEps: 1e-5,
    trainBackbone: true,
    fullLastBlock: allTokens,
  };
  const label = allTokens ? `${name} (all tokens)` : name;
  const shards = syntheticShards(arch, o.batch, o.shards, o.classes);
  const chunks = shards.map((s) => ({ patches: s.patches, count: s.count }));
  const runs: DeviceRun[] = [];
  for (const workers of o.workers) {
    progress(`${label}: ${workers === 0 ? 'in-thread' : `${workers} worker(s)`}`);
    const device = await openDevice(workers, backend);
    try {
      const values = sharedFloat32(layout.total);
      values.set(initial);
      await device.setModel(spec, values);
      const grads = shards.map(() => sharedFloat32(layout.total));
      const sum = sharedFloat32(layout.total);
      const weights = shards.map((s) => s.count / o.batch);
      const sgd = new Sgd(layout.total, { momentum: 0.9, weightDecay: 5e-4 });
      const groups = [{ start: 0, end: layout.total, lr: 1e-3 }];
      // One training step: shard gradients and their weighted sum on the device (a pool adds the sum up in
      // its workers), then the SGD update in this thread; the device sees the new parameters on its next call.
      const trainStep = async () => {
        const losses = await device.gradientsAndSum(shards, grads, weights, sum);
        const loss = losses.reduce((acc, l, k) => acc + weights[k] * l, 0);
        if (!Number.isFinite(loss)) throw new Error(`bench: training diverged (loss ${loss})`);
        sgd.step(values, sum, groups);
      };
      const forwardStep = async () => {
        await device.features(chunks);
      };
      const train = await timeRepeats(trainStep, o.batch, o);
      const forward = await timeRepeats(forwardStep, o.batch, o);
      runs.push({
        workers,
        device: workers === 0 ? 'LocalDevice (main thread)' : `WorkerPool(${workers})`,
        train: measurement(train, trainFlops),
        forward: measurement(forward, forwardFlops),
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
    executedForwardMacsPerImage: allTokens ? macs : executedForwardMacs(arch),
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
  if (name === PYTORCH_REFERENCE.arch && runs.length > 0) {
    const bestTrain = Math.max(...runs.map((r) => r.train.imagesPerSecond));
    const bestForward = Math.max(...runs.map((r) => r.forward.imagesPerSecond));
    report.reference = {
      source: PYTORCH_REFERENCE.source,
      trainImagesPerSecond: PYTORCH_REFERENCE.trainImagesPerSecond,
      forwardImagesPerSecond: PYTORCH_REFERENCE.forwardImagesPerSecond,
      trainRatio: bestTrain / PYTORCH_REFERENCE.trainImagesPerSecond,
      forwardRatio: bestForward / PYTORCH_REFERENCE.forwardImagesPerSecond,
    };
  }
  return report;
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
  return {
    backend,
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
    notes: [
      'Effective GFLOP/s count the full nominal model: forward = 2 × forwardMacs per image, training = 3 × forward.',
      'Rows marked "(all tokens)" compute every token of the last block, as PyTorch does: the like-for-like comparison with the reference. ' +
        'Elsewhere work is skipped: the last block is computed for the CLS token only (keys and values for every token; query, ' +
        'attention, projection and MLP for CLS alone), since nothing else reaches the feature. The features and ' +
        'gradients are those of the full model; the nominal GFLOP/s can therefore exceed what the kernels execute ' +
        '(see "executes" per model).',
      'A training step = shard gradients and their weighted sum on the compute device (a pool adds the sum up in its workers) + SGD (momentum 0.9) in the main thread, on a synthetic pre-patchified batch (no data loading or augmentation).',
      'Shards are fixed in number whatever the worker count, so results are bit-identical for 0, 1 or 2 workers.',
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

/** A readable summary of a bench report. */
export function formatBenchReport(report: BenchReport): string {
  const lines: string[] = [];
  const b = report.backend;
  lines.push(
    `backend ${b.name}${b.simd !== undefined ? ` (simd ${b.simd ? 'on' : 'off'}, threads ${b.threads ? 'on' : 'off'})` : ''}` +
      `, ${report.cpus} CPUs, node ${report.node}`,
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
    if (a.reference) {
      lines.push(
        `reference (${a.reference.source}): train ${a.reference.trainImagesPerSecond} img/s, forward ` +
          `${a.reference.forwardImagesPerSecond} img/s; best here: train ${fmt(a.reference.trainRatio, 2)}×, ` +
          `forward ${fmt(a.reference.forwardRatio, 2)}× of PyTorch`,
      );
    }
  }
  lines.push('');
  for (const n of report.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
}
