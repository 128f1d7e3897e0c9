import * as tf from '@tensorflow/tfjs-core';
import { normalizeInPlace, taskBoundaries } from '@slca/data';
import { evaluatePredictions } from '@slca/metrics';
import { type ComputeDevice, sharedFloat32, type VitArch, patchify, ParamLayout } from '@slca/compute';
import { readRows, type ImageSet } from '../train/batch-gradient';
import { backboneLayout } from '../weights/vit-weights';
import type { FeatureMap, PromptedModel } from '../methods/method';
import { concatHeads, type Head } from './heads';

export interface FeatureOptions {
  arch: VitArch;
  normalize: { mean: readonly number[]; std: readonly number[] };
  /** Images per forward chunk; results do not depend on it, memory does. */
  featureChunk: number;
  /**
   * Images read but not yet through the device at once (whole chunks, at least one); default
   * `featureChunk` × 8. Bounds the pixels a lazy set costs; each chunk's features do not depend on it.
   */
  maxImagesHeld?: number;
}

/** Chunks handed to the device at once: enough for every worker, few enough to bound memory on lazy sets. */
const CHUNKS_PER_CALL = 8;

/** CLS features (after the final norm) of the given rows of an image set, from the device's current model. */
export async function extractFeatures(
  device: ComputeDevice,
  set: ImageSet,
  rows: readonly number[],
  { arch, normalize, featureChunk, maxImagesHeld }: FeatureOptions,
): Promise<Float32Array> {
  const per = arch.imageSize * arch.imageSize * 3;
  const out = new Float32Array(rows.length * arch.dim);
  const chunksPerCall =
    maxImagesHeld === undefined ? CHUNKS_PER_CALL : Math.floor(maxImagesHeld / featureChunk);
  const span = featureChunk * Math.max(1, chunksPerCall);
  for (let start = 0; start < rows.length; start += span) {
    const chunks: { patches: Float32Array; count: number }[] = [];
    for (let i = start; i < Math.min(rows.length, start + span); i += featureChunk) {
      const part = rows.slice(i, Math.min(i + featureChunk, rows.length));
      const imgs = await readRows(set, part, per);
      normalizeInPlace(imgs, normalize.mean, normalize.std);
      chunks.push({ patches: patchify(imgs, part.length, arch), count: part.length });
    }
    (await device.features(chunks)).forEach((f, k) => out.set(f, (start + k * featureChunk) * arch.dim));
  }
  return out;
}

/**
 * Installs what features are read from: the backbone alone, or with a prompted method's prompt tensors
 * after it and its prompted forward (the device then computes each image's query and prompts itself).
 */
export async function installReadModel(
  device: ComputeDevice,
  arch: VitArch,
  backbone: Float32Array,
  finalNormEps: number,
  prompted: PromptedModel | null,
): Promise<void> {
  const bb = backboneLayout(arch);
  if (backbone.length !== bb.total)
    throw new Error(`backbone has ${backbone.length} values, the architecture needs ${bb.total}`);
  const extra = prompted?.tensors ?? [];
  const layout = new ParamLayout([...bb.slots.map((s) => ({ name: s.name, shape: s.shape })), ...extra]);
  // Worker devices read the parameters from shared memory.
  const values = sharedFloat32(layout.total);
  values.set(backbone);
  for (const t of extra) values.set(t.values, layout.slot(t.name).offset);
  await device.setModel(
    {
      arch,
      layout: layout.toJSON(),
      finalNormEps,
      trainBackbone: false,
      ...(prompted && { prompt: prompted.spec }),
    },
    values,
  );
}

export interface TaskEvaluation {
  /** A_t: accuracy over the test images of all seen classes (%). */
  accuracy: number;
  /** Accuracy on each task 0..task (%): row `task` of the accuracy matrix. */
  perTask: number[];
}

/** What `evaluateSeenClasses` measured, with the predictions it measured it from. */
export interface SeenClassesEvaluation extends TaskEvaluation {
  /** Class (in class-order space) of each evaluated test image: those of tasks 0..task, in test-set order. */
  labels: Int32Array;
  /** The predicted class of each of them (argmax over all seen classes), aligned with `labels`. */
  predictions: Int32Array;
}

export interface SeenClassesInput extends FeatureOptions {
  device: ComputeDevice;
  backbone: Float32Array;
  finalNormEps: number;
  heads: readonly Head[];
  /**
   * What the heads read instead of the backbone's features: RanPAC's h = ReLU(f · W). Derived from the
   * run's configuration (`featureMapOf`), never stored; null or absent for every other method.
   */
  featureMap?: FeatureMap | null;
  /** A prompted method's prompts (L2P), read with the backbone through the prompted forward; else null. */
  prompted?: PromptedModel | null;
  test: ImageSet;
  /** Test labels already mapped through the class order (label k = k-th class of the order). */
  testLabels: ArrayLike<number>;
  sizes: readonly number[];
  task: number;
}

/**
 * SLCA's evaluation after a task (docs/method.md §4): features of the test images of every seen class,
 * logits of all heads side by side, argmax over all seen classes. The trainer runs it in-process; the
 * evaluator service runs the same function on a checkpoint, so both give the same row.
 */
export async function evaluateSeenClasses(input: SeenClassesInput): Promise<SeenClassesEvaluation> {
  const { arch, sizes, task, testLabels } = input;
  const bounds = taskBoundaries(sizes);
  const seen = bounds[task].end;
  const taskOfLabel = new Int32Array(bounds[bounds.length - 1].end);
  bounds.forEach((b, t) => taskOfLabel.fill(t, b.start, b.end));
  await installReadModel(input.device, arch, input.backbone, input.finalNormEps, input.prompted ?? null);
  const rows: number[] = [];
  for (let i = 0; i < input.test.count; i++) if (testLabels[i] < seen) rows.push(i);
  const feats = await extractFeatures(input.device, input.test, rows, input);
  const map = input.featureMap ?? null;
  if (map && map.inDim !== arch.dim)
    throw new Error(`the feature map reads ${map.inDim} features, the backbone gives ${arch.dim}`);
  const width = map ? map.outDim : arch.dim;
  const joined = concatHeads(input.heads, width);
  if (joined.classes !== seen)
    throw new Error(
      `evaluation after task ${task + 1} needs heads for ${seen} classes, got ${joined.classes}`,
    );
  const predictions = tf.tidy(() => {
    let x: tf.Tensor2D = tf.tensor2d(feats, [rows.length, arch.dim]);
    if (map) x = tf.relu(tf.matMul(x, tf.tensor2d(map.weight, [map.inDim, map.outDim])));
    const logits = tf.add(tf.matMul(x, tf.tensor2d(joined.weight, [width, seen])), tf.tensor1d(joined.bias));
    return Int32Array.from(tf.argMax(logits, 1).dataSync());
  });
  const labels = Int32Array.from(rows, (r) => testLabels[r]);
  const evaluation = evaluatePredictions({ predictions, labels, taskOfLabel, task });
  return { accuracy: evaluation.accuracy, perTask: evaluation.perTask, labels, predictions };
}
