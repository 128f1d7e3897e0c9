import * as tf from '@tensorflow/tfjs-core';
import type { ForwardOptions, Prefix } from './forward';

/**
 * A prompted forward of the frozen ViT (docs/methods.md): a pool of `pool` prompts of `length` tokens,
 * each with a key; an image's query (the CLS feature of the un-prompted model) selects the `topK`
 * prompts whose keys are the most cosine-similar. L2P inserts their tokens after the CLS token; DualPrompt
 * uses them as prefixes of some blocks' attention, beside a G-prompt shared by every image.
 */
export type PromptSpec = PromptTuningSpec | PrefixTuningSpec;

/**
 * L2P: the selected prompts' tokens go after the CLS token (prompt tuning at the input). Tensors
 * `prompt.pool` [pool, length, dim] and `prompt.keys` [pool, dim] in the model's layout.
 */
export interface PromptTuningSpec {
  kind: 'prompt-tuning';
  pool: number;
  length: number;
  topK: number;
  /**
   * What the head reads: the mean of the prompt tokens' outputs after the final norm (the reference's
   * `head_type: prompt`), or the CLS token's (`token`).
   */
  readout: 'prompt-mean' | 'cls';
  /** Weight of the surrogate key loss: loss = CE − weight · Σ_b Σ_k cos(q_b, key_k(b)) / B. */
  keyLossWeight: number;
}

/**
 * DualPrompt: prefix tuning. The G-prompt `prompt.g` [gLayers.length, 2, gLength, dim] gives every image
 * the same key (index 0) and value (1) prefix at the blocks `gLayers`; the E-prompt pool `prompt.pool`
 * [eLayers.length, 2, pool, length, dim] with keys `prompt.keys` [pool, dim] gives each image its selected
 * prompts' prefixes at the blocks `eLayers` (the reference's `[layer, key|value, pool, length, heads, dh]`
 * with heads × dh flattened, heads contiguous as in qkv).
 */
export interface PrefixTuningSpec {
  kind: 'prefix-tuning';
  gLayers: number[];
  gLength: number;
  eLayers: number[];
  pool: number;
  length: number;
  topK: number;
  /** The head reads the CLS token (the reference's `head_type: token`). */
  readout: 'cls';
  keyLossWeight: number;
}

export const PROMPT_POOL = 'prompt.pool';
export const PROMPT_KEYS = 'prompt.keys';
export const PROMPT_G = 'prompt.g';

/** The prompt tensors a spec reads, with their shapes for a backbone of width `dim`. */
export function promptShapes(spec: PromptSpec, dim: number): Record<string, number[]> {
  if (spec.kind === 'prompt-tuning')
    return { [PROMPT_POOL]: [spec.pool, spec.length, dim], [PROMPT_KEYS]: [spec.pool, dim] };
  return {
    ...(spec.gLayers.length > 0 && { [PROMPT_G]: [spec.gLayers.length, 2, spec.gLength, dim] }),
    [PROMPT_POOL]: [spec.eLayers.length, 2, spec.pool, spec.length, dim],
    [PROMPT_KEYS]: [spec.pool, dim],
  };
}

/**
 * Cosine similarities [count, pool] (float64) between each query and each key, normalised as the
 * reference's l2_normalize does: x · rsqrt(max(Σx², 1e-12)).
 */
export function promptSimilarities(
  queries: ArrayLike<number>,
  count: number,
  keys: ArrayLike<number>,
  pool: number,
  dim: number,
): Float64Array {
  const inv = (v: ArrayLike<number>, row: number) => {
    let s = 0;
    for (let j = 0; j < dim; j++) s += v[row * dim + j] ** 2;
    return 1 / Math.sqrt(Math.max(s, 1e-12));
  };
  const keyInv = Array.from({ length: pool }, (_, k) => inv(keys, k));
  const out = new Float64Array(count * pool);
  for (let b = 0; b < count; b++) {
    const qi = inv(queries, b);
    for (let k = 0; k < pool; k++) {
      let dot = 0;
      for (let j = 0; j < dim; j++) dot += queries[b * dim + j] * keys[k * dim + j];
      out[b * pool + k] = dot * qi * keyInv[k];
    }
  }
  return out;
}

/** Indices of the `k` largest values of `values` (ties: the lower index first), largest first. */
function topIndices(values: ArrayLike<number>, k: number): number[] {
  return [...Array(values.length).keys()].sort((a, b) => values[b] - values[a] || a - b).slice(0, k);
}

/**
 * The prompts each image uses, [count, topK] (row-major): per image the `topK` keys most similar to its
 * query; with `batchwise` (the reference's `batchwise_prompt`, at training) every image of the batch uses
 * the `topK` prompts chosen most often across the batch (ties: the lower prompt id first).
 */
export function selectPrompts(
  similarities: Float64Array,
  count: number,
  pool: number,
  topK: number,
  batchwise: boolean,
): Int32Array {
  if (topK > pool) throw new Error(`prompt selection: top-${topK} of a pool of ${pool}`);
  const out = new Int32Array(count * topK);
  const counts = new Float64Array(pool);
  for (let b = 0; b < count; b++) {
    const top = topIndices(similarities.subarray(b * pool, (b + 1) * pool), topK);
    out.set(top, b * topK);
    for (const k of top) counts[k]++;
  }
  if (batchwise) {
    const major = topIndices(counts, topK);
    for (let b = 0; b < count; b++) out.set(major, b * topK);
  }
  return out;
}

/** The surrogate key loss term Σ_b Σ_k cos(q_b, key_idx[b,k]) / count (the reference's reduce_sim). */
export function keyPull(similarities: Float64Array, index: Int32Array, count: number, pool: number): number {
  const topK = index.length / count;
  let s = 0;
  for (let b = 0; b < count; b++)
    for (let k = 0; k < topK; k++) s += similarities[b * pool + index[b * topK + k]];
  return s / count;
}

/** One-hot rows [count·topK, pool] of the selected prompts: a matmul gathers them differentiably. */
function selection(index: Int32Array, pool: number): tf.Tensor2D {
  const oneHot = new Float32Array(index.length * pool);
  index.forEach((k, i) => (oneHot[i * pool + k] = 1));
  return tf.tensor2d(oneHot, [index.length, pool]);
}

/** The selected prompts' tokens [count, topK·length, dim], differentiable in the pool. */
export function promptTokens(pool: tf.Tensor, index: Int32Array, count: number): tf.Tensor3D {
  const [size, length, dim] = pool.shape;
  const gathered = tf.matMul(selection(index, size), tf.reshape(pool, [size, length * dim]));
  return tf.reshape(gathered, [count, (index.length / count) * length, dim]);
}

/** reduce_sim of `keyPull` as a tensor, differentiable in the keys (queries are constants). */
export function keyPullTensor(
  keys: tf.Tensor,
  queries: Float32Array,
  index: Int32Array,
  count: number,
): tf.Scalar {
  const [pool, dim] = keys.shape;
  const l2 = (x: tf.Tensor) => tf.mul(x, tf.rsqrt(tf.maximum(tf.sum(tf.square(x), 1, true), 1e-12)));
  const sim = tf.matMul(l2(tf.tensor2d(queries, [count, dim])), l2(keys), false, true);
  const counts = new Float32Array(count * pool);
  const topK = index.length / count;
  index.forEach((k, i) => (counts[Math.floor(i / topK) * pool + k] += 1));
  return tf.div(tf.sum(tf.mul(sim, tf.tensor2d(counts, [count, pool]))), count) as tf.Scalar;
}

/** Prefixes [count, …, dim] of every prefixed block: the G-prompt's, and the selected E-prompts'. */
export function prefixesOf(
  spec: PrefixTuningSpec,
  g: tf.Tensor | undefined,
  pool: tf.Tensor,
  index: Int32Array,
  count: number,
): Map<number, Prefix> {
  const dim = pool.shape[4] as number;
  const out = new Map<number, Prefix>();
  spec.gLayers.forEach((layer, j) => {
    if (!g) throw new Error('prefix tuning: G-prompt layers without a G-prompt tensor');
    const part = (c: number) =>
      tf.tile(tf.reshape(tf.slice(g, [j, c, 0, 0], [1, 1, spec.gLength, dim]), [1, spec.gLength, dim]), [
        count,
        1,
        1,
      ]);
    out.set(layer, { key: part(0), value: part(1) });
  });
  const sel = selection(index, spec.pool);
  const l = (index.length / count) * spec.length;
  spec.eLayers.forEach((layer, j) => {
    if (out.has(layer)) throw new Error(`prefix tuning: block ${layer} has both a G- and an E-prompt`);
    const part = (c: number) => {
      const rows = tf.reshape(tf.slice(pool, [j, c, 0, 0, 0], [1, 1, spec.pool, spec.length, dim]), [
        spec.pool,
        spec.length * dim,
      ]);
      return tf.reshape(tf.matMul(sel, rows), [count, l, dim]);
    };
    out.set(layer, { key: part(0), value: part(1) });
  });
  return out;
}

/** What the prompted pass adds to the forward's options, for the images' selected prompts `index`. */
export function promptedForward(
  spec: PromptSpec,
  params: Record<string, tf.Tensor>,
  index: Int32Array,
  count: number,
): Pick<ForwardOptions, 'prompt' | 'prefixes'> {
  if (spec.kind === 'prompt-tuning')
    return { prompt: { tokens: promptTokens(params[PROMPT_POOL], index, count), readout: spec.readout } };
  return { prefixes: prefixesOf(spec, params[PROMPT_G], params[PROMPT_POOL], index, count) };
}

/**
 * Where a prompted method's training queries come from: the frozen, un-prompted backbone's features of
 * each step's augmented batch (`per-step`, as the references compute them), or of the task's training
 * images un-augmented, once per task (`once-per-task`: one forward per image and task instead of one per
 * image and epoch; the same queries when the training batches are not augmented).
 */
export const PROMPT_QUERIES = ['per-step', 'once-per-task'] as const;
export type PromptQueries = (typeof PROMPT_QUERIES)[number];
