import * as tf from '@tensorflow/tfjs-core';
import { classOrder, Mt19937, normalizeInPlace, remapLabels, taskBoundaries, taskSizes } from '@slca/data';
import {
  bwt,
  emptyMatrix,
  evaluatePredictions,
  forgetting,
  incAcc,
  lastAcc,
  setRow,
  type AccuracyMatrix,
} from '@slca/metrics';
import { initBackend, type BackendInfo } from '../backend';
import type { ComputeDevice } from '../compute/device';
import { LocalDevice } from '../compute/local-device';
import { HEAD_BIAS, HEAD_WEIGHT, type ModelSpec } from '../compute/model-step';
import { WorkerPool } from '../compute/worker-pool';
import { ParamLayout, sharedFloat32 } from '../train/params';
import { multiStepLr, Sgd } from '../train/sgd';
import { paramSpecs } from '../vit/arch';
import { patchify } from '../vit/forward';
import {
  batchGradient,
  gatherImages,
  type BatchOptions,
  type ImageSet,
  type StepProgress,
} from '../train/batch-gradient';

export type { ImageSet };
import { backboneLayout } from '../weights/vit-weights';
import { alignClassifier } from './alignment';
import { validateConfig, type ExperimentConfig } from './config';
import { cloneHeads, concatHeads, newHead, type Head } from './heads';
import { classStatistics, type ClassStatistics } from './statistics';

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
  | ({ phase: 'train'; task: number; tasks: number; backboneLr: number } & StepProgress)
  | { phase: 'statistics'; task: number; tasks: number; classes: number }
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

/** Independent, reproducible random streams per purpose, derived from the run's seed. */
export function streamRng(seed: number, stream: string): Mt19937 {
  let h = 0x811c9dc5;
  for (const ch of stream) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return new Mt19937((Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ h) >>> 0);
}

function checkData(data: ExperimentData, cfg: ExperimentConfig): void {
  const per = data.imageSize * data.imageSize * 3;
  if (data.imageSize !== cfg.arch.imageSize) {
    throw new ExperimentError(
      `dataset ${data.name} has ${data.imageSize}px images but the backbone expects ${cfg.arch.imageSize}px`,
    );
  }
  for (const [split, set] of [
    ['train', data.train],
    ['test', data.test],
  ] as const) {
    if (set.images.length !== set.count * per || set.labels.length !== set.count) {
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

/**
 * Runs one class-incremental experiment end to end (SLCA-SPEC §2–§8): class order from the seed, tasks,
 * slow-learner training of the backbone and a new head per task, class statistics, classifier alignment,
 * and evaluation on all seen classes after each task. Everything random comes from seeded streams.
 */
export async function runExperiment(
  config: ExperimentConfig,
  data: ExperimentData,
  backbone: Float32Array,
  onProgress: (e: ProgressEvent) => void = () => undefined,
): Promise<ExperimentResult> {
  const cfg = structuredClone(config);
  validateConfig(cfg);
  checkData(data, cfg);
  const started = performance.now();
  const backend = await initBackend(cfg.compute.backend);
  const { arch } = cfg;
  const dim = arch.dim;
  const per = arch.imageSize * arch.imageSize * 3;
  const bbLayout = backboneLayout(arch);
  if (backbone.length !== bbLayout.total)
    throw new ExperimentError(
      `backbone has ${backbone.length} values, expected ${bbLayout.total} for this architecture`,
    );
  const weights = backbone.slice();

  const order = classOrder(data.classes, cfg.seed);
  const relabel = remapLabels(order);
  const joint = cfg.method === 'joint';
  const sizes = joint ? [data.classes] : taskSizes(data.classes, cfg.initClasses, cfg.increment);
  const bounds = taskBoundaries(sizes);
  const taskOfLabel = new Int32Array(data.classes);
  bounds.forEach((b, t) => taskOfLabel.fill(t, b.start, b.end));
  const trainLabels = Int32Array.from(data.train.labels, (l) => relabel[l]);
  const testLabels = Int32Array.from(data.test.labels, (l) => relabel[l]);

  let finalNormEps = arch.normEps ?? 1e-6;
  if (cfg.stage1.freshFinalNorm) {
    bbLayout.view(weights, 'norm.weight').fill(1);
    bbLayout.view(weights, 'norm.bias').fill(0);
    finalNormEps = 1e-5;
  }

  const rngHeads = streamRng(cfg.seed, 'heads');
  const rngShuffle = streamRng(cfg.seed, 'shuffle');
  const rngAugment = streamRng(cfg.seed, 'augment');
  const rngAlign = streamRng(cfg.seed, 'align');
  const batchOptions: BatchOptions = {
    arch,
    augment: cfg.stage1.augment,
    normalize: cfg.normalize,
    shards: cfg.compute.shards,
  };

  // Worker threads exist because wasm is single-threaded; native TensorFlow parallelises by itself.
  const workers = backend.name === 'wasm' ? cfg.compute.workers : 0;
  const device: ComputeDevice =
    workers > 0 ? await WorkerPool.create(workers, backend.name) : new LocalDevice();
  const heads: Head[] = [];
  const stats: ClassStatistics[] = [];
  let matrix = emptyMatrix(sizes.length);
  const accuracies: number[] = [];
  const records: TaskRecord[] = [];
  let trainedImages = 0;
  let trainSeconds = 0;

  const layoutWithHead = (classes: number) =>
    new ParamLayout([
      ...paramSpecs(arch).map((s) => ({ name: s.name, shape: s.shape })),
      { name: HEAD_WEIGHT, shape: [dim, classes] },
      { name: HEAD_BIAS, shape: [classes] },
    ]);

  const featuresFor = async (set: ImageSet, rows: number[]): Promise<Float32Array> => {
    const chunks: { patches: Float32Array; count: number }[] = [];
    for (let i = 0; i < rows.length; i += cfg.compute.featureChunk) {
      const part = rows.slice(i, i + cfg.compute.featureChunk);
      const imgs = gatherImages(set, part, per);
      normalizeInPlace(imgs, cfg.normalize.mean, cfg.normalize.std);
      chunks.push({ patches: patchify(imgs, part.length, arch), count: part.length });
    }
    const out = new Float32Array(rows.length * dim);
    (await device.features(chunks)).forEach((f, i) => out.set(f, i * cfg.compute.featureChunk * dim));
    return out;
  };

  try {
    for (let t = 0; t < sizes.length; t++) {
      const { start: known, end: total } = bounds[t];
      const seconds = { train: 0, statistics: 0, align: 0, evaluate: 0 };
      let clock = performance.now();
      const lap = () => {
        const now = performance.now();
        const dt = (now - clock) / 1000;
        clock = now;
        return dt;
      };

      // Stage 1: slow learner on the task's own classes, loss on the current head only.
      const rows = [...trainLabels.keys()].filter((i) => trainLabels[i] >= known && trainLabels[i] < total);
      const head = newHead(dim, total - known, rngHeads);
      const layout = layoutWithHead(head.classes);
      const values = sharedFloat32(layout.total);
      values.set(weights, 0);
      values.set(head.weight, layout.slot(HEAD_WEIGHT).offset);
      values.set(head.bias, layout.slot(HEAD_BIAS).offset);
      const s1 = cfg.stage1;
      const trainBackbone = s1.backboneLrScale > 0;
      const spec: ModelSpec = { arch, layout: layout.toJSON(), finalNormEps, trainBackbone };
      await device.setModel(spec, values);
      const sgd = new Sgd(layout.total, { momentum: s1.momentum, weightDecay: s1.weightDecay });
      const grads = Array.from({ length: cfg.compute.shards }, () => sharedFloat32(layout.total));
      const sum = sharedFloat32(layout.total);
      const steps = Math.ceil(rows.length / s1.batchSize);
      const epochLosses: number[] = [];
      for (let epoch = 0; epoch < s1.epochs; epoch++) {
        const lr = multiStepLr(s1.lr, epoch, s1.milestones, s1.gamma);
        const groups = [
          { start: 0, end: bbLayout.total, lr: lr * s1.backboneLrScale },
          { start: bbLayout.total, end: layout.total, lr },
        ];
        const perm = rngShuffle.permutation(rows.length).map((i) => rows[i]);
        let lossSum = 0;
        for (let step = 0; step < steps; step++) {
          const batchRows = perm.slice(step * s1.batchSize, (step + 1) * s1.batchSize);
          const n = batchRows.length;
          const loss = await batchGradient(
            device,
            data.train,
            batchRows,
            (r) => trainLabels[r] - known,
            batchOptions,
            rngAugment,
            grads,
            sum,
          );
          if (!Number.isFinite(loss)) {
            throw new ExperimentError(
              `training diverged: loss ${loss} at task ${t + 1}, epoch ${epoch + 1}, step ${step + 1}`,
            );
          }
          sgd.step(values, sum, groups);
          lossSum += loss * n;
          trainedImages += n;
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
            backboneLr: lr * s1.backboneLrScale,
          });
        }
        epochLosses.push(lossSum / rows.length);
      }
      weights.set(values.subarray(0, bbLayout.total));
      heads.push({
        classes: head.classes,
        weight: values.slice(
          layout.slot(HEAD_WEIGHT).offset,
          layout.slot(HEAD_WEIGHT).offset + dim * head.classes,
        ),
        bias: values.slice(layout.slot(HEAD_BIAS).offset, layout.slot(HEAD_BIAS).offset + head.classes),
      });
      seconds.train = lap();
      trainSeconds += seconds.train;

      // Class statistics of the new classes, from un-augmented training images and the trained backbone.
      if (cfg.alignment) {
        onProgress({ phase: 'statistics', task: t, tasks: sizes.length, classes: total - known });
        const feats = await featuresFor(data.train, rows);
        for (let c = known; c < total; c++) {
          const classRows = rows.map((r, i) => (trainLabels[r] === c ? i : -1)).filter((i) => i >= 0);
          stats[c] = classStatistics(feats, dim, classRows, c, t, cfg.covarianceRidge);
        }
      }
      seconds.statistics = lap();

      // Stage 2: classifier alignment on sampled features (from the second task on).
      let evalHeads = heads;
      const alignLosses: number[] = [];
      if (cfg.alignment && t >= 1) {
        const backup = cloneHeads(heads);
        const aligned = alignClassifier(heads, stats, t, cfg.alignment, rngAlign, (p) => {
          if (p.step === p.steps - 1) alignLosses.push(p.loss);
          onProgress({ phase: 'align', task: t, tasks: sizes.length, ...p });
        });
        evalHeads = aligned;
        if (!cfg.restoreHeadsAfterEval) heads.splice(0, heads.length, ...aligned);
        else heads.splice(0, heads.length, ...backup);
      }
      seconds.align = lap();

      // Evaluation on the test images of every seen class, raw logits, argmax over all seen classes.
      const testRows = [...testLabels.keys()].filter((i) => testLabels[i] < total);
      const feats = await featuresFor(data.test, testRows);
      const joined = concatHeads(evalHeads, dim);
      const predictions = tf.tidy(() => {
        const logits = tf.add(
          tf.matMul(
            tf.tensor2d(feats, [testRows.length, dim]),
            tf.tensor2d(joined.weight, [dim, joined.classes]),
          ),
          tf.tensor1d(joined.bias),
        );
        return Int32Array.from(tf.argMax(logits, 1).dataSync());
      });
      const evaluation = evaluatePredictions({
        predictions,
        labels: Int32Array.from(testRows, (r) => testLabels[r]),
        taskOfLabel,
        task: t,
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
    }
  } finally {
    await device.close();
  }

  return {
    config: cfg,
    dataset: data.name,
    classOrder: order,
    taskSizes: sizes,
    backend,
    workers,
    accuracyMatrix: matrix,
    accuracies,
    lastAcc: lastAcc(accuracies),
    incAcc: incAcc(accuracies),
    forgetting: forgetting(matrix),
    bwt: bwt(matrix),
    tasks: records,
    trainImagesPerSecond: trainedImages / trainSeconds,
    wallSeconds: (performance.now() - started) / 1000,
  };
}
