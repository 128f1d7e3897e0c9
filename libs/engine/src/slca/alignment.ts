import * as tf from '@tensorflow/tfjs-core';
import type { Mt19937 } from '@slca/data';
import { crossEntropy } from '@slca/compute';
import type { StepProgress } from '../train/batch-gradient';
import { cosineLr, Sgd } from '../train/sgd';
import { concatHeads, splitHeads, type Head } from './heads';
import {
  drawEpoch,
  drawSampleNoise,
  type AlignmentDrawPlan,
  type EpochDraws,
  type SampleNoise,
} from './alignment-draws';
import { logitNormalize } from './logit-norm';
import type { ClassStatistics } from './statistics';

export interface AlignmentOptions {
  epochs: number;
  lr: number;
  momentum: number;
  weightDecay: number;
  samplesPerClass: number;
  batchSize: number;
  /** τ of the logit normalisation; ignored when logitNorm is false. */
  tau: number;
  logitNorm: boolean;
  /** (code) shrink old classes' means by s_c = 0.9 + 0.1·(t_c+1)/(t+1). */
  meanShrink: boolean;
  /**
   * Which task t_c a class belongs to in the mean shrinkage: `true` (default) its real task; `reference`
   * as the reference code computes it, class index ÷ the *current* task's size (rounded down). They
   * differ when tasks are unequal — Cars-196's last task of 16 classes gives factors above 1 there.
   */
  meanShrinkTask?: 'true' | 'reference';
}

export const DEFAULT_ALIGNMENT: AlignmentOptions = {
  epochs: 5,
  lr: 0.01,
  momentum: 0.9,
  weightDecay: 5e-4,
  samplesPerClass: 256,
  batchSize: 256,
  tau: 0.1,
  logitNorm: true,
  meanShrink: true,
};

/** The mean scale of a class learned in task t_c when aligning after task t. */
export function meanShrinkFactor(classTask: number, currentTask: number): number {
  return 0.9 + (0.1 * (classTask + 1)) / (currentTask + 1);
}

/**
 * The task the mean shrinkage assigns to each seen class (global class index, tasks of `sizes`) when
 * aligning after task `currentTask`: its real task, or the reference code's class ÷ current task size.
 */
export function shrinkTasks(
  sizes: readonly number[],
  currentTask: number,
  mode: AlignmentOptions['meanShrinkTask'] = 'true',
): number[] {
  const out: number[] = [];
  sizes.slice(0, currentTask + 1).forEach((size, t) => {
    for (let i = 0; i < size; i++) out.push(t);
  });
  if (mode === 'reference') return out.map((_, c) => Math.floor(c / sizes[currentTask]));
  return out;
}

/**
 * `count` draws from N(scale·μ, Σ) as rows [count, dim], via x = scale·μ + L·z with z ~ N(0, I) drawn from
 * `rng` in row-major order (so the samples depend only on the seed, not on the backend's RNG).
 */
/** `count` samples of a class's Gaussian: the rows of z [count, d] (standard normals) times Lᵀ, plus scale·μ. */
function classSamples(stats: ClassStatistics, z: Float32Array, count: number, scale: number): tf.Tensor2D {
  const d = stats.dim;
  const lt = new Float32Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j <= i; j++) lt[j * d + i] = stats.cholesky[i * d + j];
  const mu = Float32Array.from(stats.mean, (m) => m * scale);
  return tf.tidy(
    () =>
      tf.add(tf.matMul(tf.tensor2d(z, [count, d]), tf.tensor2d(lt, [d, d])), tf.tensor1d(mu)) as tf.Tensor2D,
  );
}

export function sampleClass(stats: ClassStatistics, count: number, scale: number, rng: Mt19937): tf.Tensor2D {
  const z = new Float32Array(count * stats.dim);
  for (let i = 0; i < z.length; i++) z[i] = rng.standardNormal();
  return classSamples(stats, z, count, scale);
}

export type AlignmentProgress = StepProgress;

/** The seen classes' samples [classes × samplesPerClass, dim] from their noise. */
function seenClassSamples(
  stats: readonly ClassStatistics[],
  noise: SampleNoise,
  currentTask: number,
  options: AlignmentOptions,
  featureScale: { mu: number; spread: number } | null,
  referenceTasks: readonly number[],
): tf.Tensor2D {
  const count = options.samplesPerClass;
  const { normals, uniforms } = noise;
  if (featureScale && !uniforms) throw new Error('feature scaling needs the uniforms of its draws');
  return tf.tidy(
    () =>
      tf.concat(
        stats.map((s, c) => {
          const classTask = options.meanShrinkTask === 'reference' ? referenceTasks[c] : s.task;
          const scale = options.meanShrink ? meanShrinkFactor(classTask, currentTask) : 1;
          const per = count * s.dim;
          const drawn = classSamples(s, normals.subarray(c * per, (c + 1) * per), count, scale);
          if (!featureScale || !uniforms) return drawn;
          const factors = Float32Array.from(
            { length: count },
            (_, i) =>
              1 /
              (1 +
                (featureScale.mu + featureScale.spread * (uniforms[c * count + i] - 0.5)) *
                  (currentTask - classTask)),
          );
          return tf.mul(drawn, tf.tensor2d(factors, [count, 1]));
        }),
      ) as tf.Tensor2D,
  );
}

export function sampleSeenClasses(
  stats: readonly ClassStatistics[],
  currentTask: number,
  options: AlignmentOptions,
  rng: Mt19937,
  featureScale: { mu: number; spread: number } | null,
  referenceTasks: readonly number[],
): tf.Tensor2D {
  const plan = {
    classes: stats.length,
    samplesPerClass: options.samplesPerClass,
    dim: stats[0]?.dim ?? 0,
    featureScale: featureScale !== null,
  };
  const noise = drawSampleNoise(rng, plan);
  return seenClassSamples(stats, noise, currentTask, options, featureScale, referenceTasks);
}

/**
 * Where alignClassifier's random draws come from: made in this thread from its stream (the default), or
 * made ahead of time elsewhere (AlignmentDrawThread) from the same stream state — the same numbers.
 */
export interface AlignmentDraws {
  /** Epoch e's draws; asked for e = 0, 1, … in turn. */
  epoch(e: number): Promise<EpochDraws>;
  /** After the last epoch: leaves the stream as if every draw had been made from it here. */
  finish(): Promise<void>;
}

export type AlignmentDrawSource = (rng: Mt19937, plan: AlignmentDrawPlan, epochs: number) => AlignmentDraws;

/** Draws each epoch from `rng` in this thread when it is asked for. */
export const drawHere: AlignmentDrawSource = (rng, plan) => ({
  epoch: async () => drawEpoch(rng, plan),
  // The draws were made from `rng` itself: nothing to hand back.
  finish: () => Promise.resolve(),
});

/**
 * Stage 2 of SLCA (docs/method.md §10): retrains all heads on features sampled from the seen classes'
 * Gaussians, with logit normalisation, and returns the aligned heads (the inputs are not modified).
 * `stats[c]` must hold the statistics of global class c for every seen class. `drawsFrom` says where the
 * random draws are made (here, by default); the result is the same wherever they are.
 */
export async function alignClassifier(
  heads: readonly Head[],
  stats: readonly ClassStatistics[],
  currentTask: number,
  options: AlignmentOptions,
  rng: Mt19937,
  onStep?: (p: AlignmentProgress) => void,
  /**
   * SLCA++'s per-sample feature scaling instead of mean shrinkage: every sample of a class learned at task
   * t_c is multiplied by 1/(1 + s·(t − t_c)), s = mu + spread·(u − ½), u ~ U[0, 1) drawn from `rng` after the
   * class's Gaussian draws (the reference: `fc_scale_mu + 0.02·(rand − 0.5)`).
   */
  featureScale: { mu: number; spread: number } | null = null,
  drawsFrom: AlignmentDrawSource = drawHere,
): Promise<Head[]> {
  const sizes = heads.map((h) => h.classes);
  const classes = sizes.reduce((a, b) => a + b, 0);
  const dim = stats[0]?.dim;
  if (stats.length < classes || dim === undefined)
    throw new Error(`alignment needs statistics for all ${classes} seen classes`);
  const joined = concatHeads(heads, dim);
  const wSize = joined.weight.length;
  const params = new Float32Array(wSize + classes);
  params.set(joined.weight);
  params.set(joined.bias, wSize);
  const sgd = new Sgd(params.length, { momentum: options.momentum, weightDecay: options.weightDecay });
  const grads = new Float32Array(params.length);
  const total = classes * options.samplesPerClass;
  const steps = Math.ceil(total / options.batchSize);
  const referenceTasks = shrinkTasks(sizes, currentTask, 'reference');
  const plan = {
    classes,
    samplesPerClass: options.samplesPerClass,
    dim,
    featureScale: featureScale !== null,
  };
  const draws = drawsFrom(rng, plan, options.epochs);

  for (let epoch = 0; epoch < options.epochs; epoch++) {
    const lr = cosineLr(options.lr, epoch, options.epochs);
    const { order, ...noise } = await draws.epoch(epoch);
    if (order.length !== total || noise.normals.length !== total * dim)
      throw new Error(`alignment epoch ${epoch + 1}: draws for ${order.length} samples, expected ${total}`);
    const samples = seenClassSamples(
      stats.slice(0, classes),
      noise,
      currentTask,
      options,
      featureScale,
      referenceTasks,
    );
    // The epoch's samples in shuffled order, so that each step's batch is a contiguous slice (a copy of
    // rows, as tf.gather would make, without its per-step cost on the wasm backend). Sample i is of class
    // ⌊i / samplesPerClass⌋.
    const drawn = samples.dataSync() as Float32Array;
    samples.dispose();
    const shuffled = new Float32Array(total * dim);
    const labels = new Int32Array(total);
    order.forEach((i, j) => {
      shuffled.set(drawn.subarray(i * dim, (i + 1) * dim), j * dim);
      labels[j] = Math.floor(i / options.samplesPerClass);
    });
    for (let step = 0; step < steps; step++) {
      const start = step * options.batchSize;
      const end = Math.min(total, start + options.batchSize);
      const loss = tf.tidy(() => {
        const x = tf.tensor2d(shuffled.subarray(start * dim, end * dim), [end - start, dim]);
        const y = tf.tensor1d(labels.subarray(start, end), 'int32');
        const w = tf.tensor2d(params.subarray(0, wSize), [dim, classes]);
        const b = tf.tensor1d(params.subarray(wSize));
        const lossOf = (wt: tf.Tensor, bt: tf.Tensor) => {
          const logits = tf.add(tf.matMul(x, wt as tf.Tensor2D), bt) as tf.Tensor2D;
          return crossEntropy(options.logitNorm ? logitNormalize(logits, sizes, options.tau) : logits, y);
        };
        const { value, grads: g } = tf.valueAndGrads(lossOf)([w, b]);
        grads.set(g[0].dataSync() as Float32Array, 0);
        grads.set(g[1].dataSync() as Float32Array, wSize);
        return value.dataSync()[0];
      });
      if (!Number.isFinite(loss))
        throw new Error(
          `classifier alignment diverged: loss ${loss} at epoch ${epoch + 1}, step ${step + 1}`,
        );
      sgd.step(params, grads, [{ start: 0, end: params.length, lr }]);
      onStep?.({ epoch, epochs: options.epochs, step, steps, loss, lr });
    }
  }
  await draws.finish();
  return splitHeads(params.subarray(0, wSize), params.subarray(wSize), dim, sizes);
}
