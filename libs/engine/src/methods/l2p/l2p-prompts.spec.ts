import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { referenceCrossEntropy, referenceFeatures, type Matrix } from '../../../test/vit-float64';
import {
  initBackend,
  featuresOf,
  gradientsInto,
  HEAD_BIAS,
  HEAD_WEIGHT,
  tensorsFrom,
  type ModelSpec,
  ParamLayout,
  paramSpecs,
  type VitArch,
  patchify,
  vitFeatures,
  keyPull,
  keyPullTensor,
  promptSimilarities,
  PROMPT_KEYS,
  PROMPT_POOL,
  selectPrompts,
  type PromptSpec,
} from '@slca/compute';

/*
 * L2P's distinctive computation against hand-computed and independently computed values: prompt selection
 * and the surrogate key loss on a 3-key pool (by hand), the prompted forward against the float64 loop
 * implementation in test/vit-float64.ts, and the gradients of the prompts and keys against central finite
 * differences of that implementation's loss.
 */

// Three keys in 2-d: k0 = (1, 0), k1 = (0, 2) (norm 2), k2 = (1, 1); three queries.
const KEYS = [1, 0, 0, 2, 1, 1];
const QUERIES = [3, 0, 1, 3, -1, 1];
const R2 = Math.SQRT2;
const R10 = Math.sqrt(10);
const R5 = Math.sqrt(5);
// cos(q_b, k_j) by hand: q0 = (3,0) → 1, 0, 1/√2; q1 = (1,3) → 1/√10, 3/√10, 4/√20; q2 = (−1,1) → −1/√2, 1/√2, 0.
const COS = [1, 0, 1 / R2, 1 / R10, 3 / R10, 2 / R5, -1 / R2, 1 / R2, 0];

describe('L2P prompt selection and key loss on a 3-key pool', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('cosine similarities, per-image top-2 and the batch-wise majority', () => {
    const sim = promptSimilarities(QUERIES, 3, KEYS, 3, 2);
    Array.from(sim).forEach((v, i) => expect(v).toBeCloseTo(COS[i], 14));
    // Per image: q0 → {0, 2}, q1 → {1, 2}, q2 → {1, 2} (largest first).
    expect(Array.from(selectPrompts(sim, 3, 3, 2, false))).toEqual([0, 2, 1, 2, 1, 2]);
    // Batch-wise: prompt 2 chosen 3 times, prompt 1 twice, prompt 0 once → every image uses {2, 1}.
    expect(Array.from(selectPrompts(sim, 3, 3, 2, true))).toEqual([2, 1, 2, 1, 2, 1]);
  });

  it('the key loss term Σ cos / B, in float64 and as the differentiable tensor', () => {
    const sim = promptSimilarities(QUERIES, 3, KEYS, 3, 2);
    const perImage = Int32Array.from([0, 2, 1, 2, 1, 2]);
    const batchwise = Int32Array.from([2, 1, 2, 1, 2, 1]);
    const hand = (1 + 1 / R2 + 3 / R10 + 2 / R5 + 1 / R2 + 0) / 3;
    const handBatchwise = (1 / R2 + 0 + 2 / R5 + 3 / R10 + 0 + 1 / R2) / 3;
    expect(keyPull(sim, perImage, 3, 3)).toBeCloseTo(hand, 14);
    expect(keyPull(sim, batchwise, 3, 3)).toBeCloseTo(handBatchwise, 14);
    const keys = tf.tensor2d(KEYS, [3, 2]);
    const queries = Float32Array.from(QUERIES);
    expect(keyPullTensor(keys, queries, perImage, 3).dataSync()[0]).toBeCloseTo(hand, 6);
    // d cos(q, k)/dk = (q̂ − cos·k̂)/‖k‖. k0 is chosen by q0 alone, parallel to it: gradient 0. k1 (‖k1‖ = 2)
    // by q1 and q2: ((1/√10, 0) + (−1/√2, 0)) / 2 / 3.
    const grad = tf
      .grad((k: tf.Tensor) => keyPullTensor(k, queries, perImage, 3))(keys)
      .arraySync() as number[][];
    expect(grad[0][0]).toBeCloseTo(0, 6);
    expect(grad[0][1]).toBeCloseTo(0, 6);
    expect(grad[1][0]).toBeCloseTo((1 / R10 - 1 / R2) / 6, 6);
    expect(grad[1][1]).toBeCloseTo(0, 6);
    tf.dispose(keys);
  });
});

const ARCH: VitArch = { imageSize: 8, patchSize: 4, dim: 8, depth: 2, heads: 2, mlpDim: 16 };
const SPEC: PromptSpec = {
  kind: 'prompt-tuning',
  pool: 3,
  length: 2,
  topK: 2,
  readout: 'prompt-mean',
  keyLossWeight: 0.1,
};
const CLASSES = 3;

function value(name: string, i: number): number {
  const codes = [...name].reduce((s, c) => s + c.charCodeAt(0), 0);
  return 0.3 * Math.sin(1.7 * i + 0.37 * name.length + 0.11 * codes);
}

function model(spec: PromptSpec) {
  const layout = new ParamLayout([
    ...paramSpecs(ARCH).map((s) => ({ name: s.name, shape: s.shape })),
    { name: PROMPT_POOL, shape: [spec.pool, spec.length, ARCH.dim] },
    { name: PROMPT_KEYS, shape: [spec.pool, ARCH.dim] },
    { name: HEAD_WEIGHT, shape: [ARCH.dim, CLASSES] },
    { name: HEAD_BIAS, shape: [CLASSES] },
  ]);
  const values = new Float32Array(layout.total);
  for (const slot of layout.slots) {
    const view = layout.view(values, slot.name);
    const isNormWeight = /norm\d?\.weight$/.test(slot.name);
    const scale = slot.name === PROMPT_POOL || slot.name === PROMPT_KEYS ? 3 : 1;
    view.forEach((_, i) => (view[i] = (isNormWeight ? 1 : 0) + scale * value(slot.name, i)));
  }
  return { layout, values };
}

const images = (n: number) =>
  Float32Array.from(
    { length: n * ARCH.imageSize ** 2 * 3 },
    (_, i) => 0.5 + 0.5 * Math.sin(0.31 * i + 0.2 * (i % 7)),
  );

const view = (layout: ParamLayout, values: ArrayLike<number>) =>
  Object.fromEntries(
    layout.slots.map((s) => [s.name, Array.from({ length: s.size }, (_, i) => values[s.offset + i])]),
  );

/** The selected prompts' tokens of image b, [topK·length][dim], from a flat pool. */
function tokensOf(pool: ArrayLike<number>, index: ArrayLike<number>, b: number, spec: PromptSpec): Matrix {
  const rows: Matrix = [];
  for (let k = 0; k < spec.topK; k++) {
    const prompt = index[b * spec.topK + k];
    for (let l = 0; l < spec.length; l++)
      rows.push(Array.from({ length: ARCH.dim }, (_, d) => pool[(prompt * spec.length + l) * ARCH.dim + d]));
  }
  return rows;
}

describe('the L2P prompted forward and its gradients', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  for (const readout of ['prompt-mean', 'cls'] as const) {
    it(`prediction (query, per-image top-k, prompted pass, ${readout} readout) matches the float64 loops`, () => {
      const spec = { ...SPEC, readout };
      const { layout, values } = model(spec);
      const n = 3;
      const patches = patchify(images(n), n, ARCH);
      const p = view(layout, values);
      const eps = 1e-6;
      // The query: the un-prompted model's CLS feature, computed independently.
      const queries = referenceFeatures(p, ARCH, patches, n, { finalNormEps: eps });
      const sim = promptSimilarities(queries.flat(), n, p[PROMPT_KEYS], spec.pool, ARCH.dim);
      const index = selectPrompts(sim, n, spec.pool, spec.topK, false);
      expect(new Set(Array.from(index)).size).toBeGreaterThan(1);
      const expected = referenceFeatures(p, ARCH, patches, n, {
        finalNormEps: eps,
        promptTokens: (b) => tokensOf(p[PROMPT_POOL], index, b, spec),
        readout,
      });
      const modelSpec: ModelSpec = {
        arch: ARCH,
        layout: layout.toJSON(),
        finalNormEps: eps,
        trainBackbone: false,
        prompt: spec,
      };
      const params = tensorsFrom(layout, values);
      const got = featuresOf(modelSpec, params, patches, n);
      tf.dispose(Object.values(params));
      expected.flat().forEach((v, i) => expect(got[i]).toBeCloseTo(v, 4));
      // Without its prompts the feature is the query: the prompts do change it.
      const plain = tf.tidy(() =>
        Array.from(
          vitFeatures(tensorsFrom(layout, values), tf.tensor3d(patches, [n, 4, 48]), ARCH, {
            finalNormEps: eps,
          }).dataSync(),
        ),
      );
      queries.flat().forEach((v, i) => expect(plain[i]).toBeCloseTo(v, 4));
      expect(Math.max(...plain.map((v, i) => Math.abs(v - got[i])))).toBeGreaterThan(0.01);
    });
  }

  it('the gradients of prompts, keys and head match finite differences of the float64 loss', () => {
    const spec = SPEC;
    const { layout, values } = model(spec);
    const n = 3;
    const patches = patchify(images(n), n, ARCH);
    const labels = Int32Array.from([0, 2, 1]);
    const eps = 1e-6;
    const p0 = view(layout, values);
    const queries = referenceFeatures(p0, ARCH, patches, n, { finalNormEps: eps }).flat();
    const index = selectPrompts(
      promptSimilarities(queries, n, p0[PROMPT_KEYS], spec.pool, ARCH.dim),
      n,
      spec.pool,
      spec.topK,
      true,
    );
    const loss = (flat: ArrayLike<number>) => {
      const p = view(layout, flat);
      const feats = referenceFeatures(p, ARCH, patches, n, {
        finalNormEps: eps,
        promptTokens: (b) => tokensOf(p[PROMPT_POOL], index, b, spec),
        readout: spec.readout,
      });
      const pull = keyPull(
        promptSimilarities(queries, n, p[PROMPT_KEYS], spec.pool, ARCH.dim),
        index,
        n,
        spec.pool,
      );
      return referenceCrossEntropy(feats, p[HEAD_WEIGHT], p[HEAD_BIAS], labels) - spec.keyLossWeight * pull;
    };
    const trainable = [PROMPT_POOL, PROMPT_KEYS, HEAD_WEIGHT, HEAD_BIAS];
    const modelSpec: ModelSpec = {
      arch: ARCH,
      layout: layout.toJSON(),
      finalNormEps: eps,
      trainBackbone: true,
      trainable,
      prompt: spec,
    };
    const params = tensorsFrom(layout, values);
    const grads = new Float32Array(layout.total);
    const value = gradientsInto(
      modelSpec,
      layout,
      params,
      {
        patches,
        labels,
        count: n,
        queries: Float32Array.from(queries),
        promptIndex: index,
      },
      grads,
    );
    tf.dispose(Object.values(params));
    const base = Float64Array.from(values);
    expect(value).toBeCloseTo(loss(base), 4);
    const h = 1e-4;
    for (const name of trainable) {
      const slot = layout.slot(name);
      for (let i = slot.offset; i < slot.offset + slot.size; i++) {
        const plus = base.slice();
        const minus = base.slice();
        plus[i] += h;
        minus[i] -= h;
        const fd = (loss(plus) - loss(minus)) / (2 * h);
        expect(grads[i], `${name}[${i - slot.offset}]`).toBeCloseTo(fd, 3);
      }
    }
    // Prompts outside the selection get no gradient; the frozen backbone gets none.
    const unselected = [0, 1, 2].filter((k) => !index.includes(k));
    for (const k of unselected) {
      const slot = layout.slot(PROMPT_POOL);
      const per = spec.length * ARCH.dim;
      expect(
        Array.from(grads.subarray(slot.offset + k * per, slot.offset + (k + 1) * per)).every((g) => g === 0),
      ).toBe(true);
    }
    expect(Array.from(grads.subarray(0, layout.slot(PROMPT_POOL).offset)).every((g) => g === 0)).toBe(true);
  });
});
