import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { tinyConfig } from '../../../test/tiny-experiment';
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
  keyPull,
  promptShapes,
  promptSimilarities,
  PROMPT_G,
  PROMPT_KEYS,
  PROMPT_POOL,
  selectPrompts,
  type PrefixTuningSpec,
} from '@slca/compute';
import { DUALPROMPT } from './dualprompt';

/*
 * DualPrompt's prefix tuning against the float64 loop implementation in test/vit-float64.ts (prefix keys
 * and values in front of a block's own, per head): the prediction path (query, top-1 E-prompt, G- and
 * E-prefixes) and the gradients of the G-prompt, E-prompts, keys and head against central finite
 * differences of the float64 loss; then the references' prompt mask and shared-pool copy.
 */
const ARCH: VitArch = { imageSize: 8, patchSize: 4, dim: 8, depth: 3, heads: 2, mlpDim: 16 };
const SPEC: PrefixTuningSpec = {
  kind: 'prefix-tuning',
  gLayers: [0],
  gLength: 2,
  eLayers: [1, 2],
  pool: 3,
  length: 2,
  topK: 1,
  readout: 'cls',
  keyLossWeight: 0.1,
};
const CLASSES = 3;
const EPS = 1e-6;

function value(name: string, i: number): number {
  const codes = [...name].reduce((s, c) => s + c.charCodeAt(0), 0);
  return 0.3 * Math.sin(1.7 * i + 0.37 * name.length + 0.11 * codes);
}

function model() {
  const layout = new ParamLayout([
    ...paramSpecs(ARCH).map((s) => ({ name: s.name, shape: s.shape })),
    ...Object.entries(promptShapes(SPEC, ARCH.dim)).map(([name, shape]) => ({ name, shape })),
    { name: HEAD_WEIGHT, shape: [ARCH.dim, CLASSES] },
    { name: HEAD_BIAS, shape: [CLASSES] },
  ]);
  const values = new Float32Array(layout.total);
  for (const slot of layout.slots) {
    const view = layout.view(values, slot.name);
    const isNormWeight = /norm\d?\.weight$/.test(slot.name);
    const scale = slot.name.startsWith('prompt.') ? 3 : 1;
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

const rows = (flat: number[], start: number, n: number): Matrix =>
  Array.from({ length: n }, (_, r) =>
    Array.from({ length: ARCH.dim }, (_, d) => flat[start + r * ARCH.dim + d]),
  );

/** The prefixes of block b for image i, read from the flat tensors by hand. */
function prefixOf(p: Record<string, number[]>, index: Int32Array) {
  return (block: number, image: number) => {
    const g = SPEC.gLayers.indexOf(block);
    if (g >= 0) {
      const at = (c: number) => (g * 2 + c) * SPEC.gLength * ARCH.dim;
      return { key: rows(p[PROMPT_G], at(0), SPEC.gLength), value: rows(p[PROMPT_G], at(1), SPEC.gLength) };
    }
    const e = SPEC.eLayers.indexOf(block);
    if (e < 0) return null;
    const k = index[image];
    const at = (c: number) => ((e * 2 + c) * SPEC.pool + k) * SPEC.length * ARCH.dim;
    return { key: rows(p[PROMPT_POOL], at(0), SPEC.length), value: rows(p[PROMPT_POOL], at(1), SPEC.length) };
  };
}

describe('DualPrompt prefix tuning against float64 loops', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('prediction: query, top-1 E-prompt per image, G- and E-prefixes, CLS read-out', () => {
    const { layout, values } = model();
    const n = 3;
    const x = patchify(images(n), n, ARCH);
    const p = view(layout, values);
    const queries = referenceFeatures(p, ARCH, x, n, { finalNormEps: EPS });
    const index = selectPrompts(
      promptSimilarities(queries.flat(), n, p[PROMPT_KEYS], SPEC.pool, ARCH.dim),
      n,
      SPEC.pool,
      1,
      false,
    );
    const expected = referenceFeatures(p, ARCH, x, n, { finalNormEps: EPS, prefix: prefixOf(p, index) });
    const spec: ModelSpec = {
      arch: ARCH,
      layout: layout.toJSON(),
      finalNormEps: EPS,
      trainBackbone: false,
      prompt: SPEC,
    };
    const params = tensorsFrom(layout, values);
    const got = featuresOf(spec, params, x, n);
    tf.dispose(Object.values(params));
    expected.flat().forEach((v, i) => expect(got[i]).toBeCloseTo(v, 4));
    // The prefixes matter: without them the feature is the query.
    expect(Math.max(...queries.flat().map((v, i) => Math.abs(v - got[i])))).toBeGreaterThan(0.01);
  });

  it('the gradients of G-prompt, E-prompts, keys and head match finite differences of the float64 loss', () => {
    const { layout, values } = model();
    const n = 2;
    const x = patchify(images(n), n, ARCH);
    const labels = Int32Array.from([2, 0]);
    const p0 = view(layout, values);
    const queries = referenceFeatures(p0, ARCH, x, n, { finalNormEps: EPS }).flat();
    // Training with the prompt mask: both images use E-prompt 1 (task 1's).
    const index = Int32Array.from([1, 1]);
    const loss = (flat: ArrayLike<number>) => {
      const p = view(layout, flat);
      const feats = referenceFeatures(p, ARCH, x, n, { finalNormEps: EPS, prefix: prefixOf(p, index) });
      const sim = promptSimilarities(queries, n, p[PROMPT_KEYS], SPEC.pool, ARCH.dim);
      return (
        referenceCrossEntropy(feats, p[HEAD_WEIGHT], p[HEAD_BIAS], labels) -
        SPEC.keyLossWeight * keyPull(sim, index, n, SPEC.pool)
      );
    };
    const trainable = [PROMPT_G, PROMPT_POOL, PROMPT_KEYS, HEAD_WEIGHT, HEAD_BIAS];
    const spec: ModelSpec = {
      arch: ARCH,
      layout: layout.toJSON(),
      finalNormEps: EPS,
      trainBackbone: true,
      trainable,
      prompt: SPEC,
    };
    const params = tensorsFrom(layout, values);
    const grads = new Float32Array(layout.total);
    const batch = { patches: x, labels, count: n, queries: Float32Array.from(queries), promptIndex: index };
    const got = gradientsInto(spec, layout, params, batch, grads);
    tf.dispose(Object.values(params));
    const base = Float64Array.from(values);
    expect(got).toBeCloseTo(loss(base), 4);
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
    // Only E-prompt 1 is used: E-prompts 0 and 2 get no gradient in any block.
    const pool = layout.view(grads, PROMPT_POOL);
    const per = SPEC.length * ARCH.dim;
    for (let part = 0; part < SPEC.eLayers.length * 2; part++)
      for (const k of [0, 2]) {
        const at = (part * SPEC.pool + k) * per;
        expect(Array.from(pool.subarray(at, at + per)).every((g) => g === 0)).toBe(true);
      }
  });
});

describe('DualPrompt training plan', () => {
  it('task t trains E-prompt t (the prompt mask) while the pool has one, then the query selects', () => {
    const cfg = tinyConfig('dualprompt');
    expect(DUALPROMPT.stage1Plan?.(cfg, 0).promptMask).toEqual([0]);
    expect(DUALPROMPT.stage1Plan?.(cfg, 9).promptMask).toEqual([9]);
    expect(DUALPROMPT.stage1Plan?.(cfg, 10).promptMask).toBeUndefined();
  });

  it('E-prompt t starts as a copy of E-prompt t − 1 in every block (shared prompt pool); keys are not copied', async () => {
    const base = tinyConfig('dualprompt');
    if (!base.dualprompt) throw new Error('no dualprompt settings');
    const cfg = { ...base, dualprompt: { ...base.dualprompt, eLayers: [0], poolSize: 3, eLength: 2 } };
    const dim = cfg.arch.dim;
    const pool = Float64Array.from({ length: 2 * 3 * 2 * dim }, (_, i) => i);
    const keys = Float64Array.from({ length: 3 * dim }, (_, i) => -i);
    const state = { tensors: { [PROMPT_POOL]: pool, [PROMPT_KEYS]: keys }, values: {} };
    const tensors = await DUALPROMPT.adapters?.({
      config: cfg,
      arch: cfg.arch,
      task: 1,
      backbone: new Float32Array(0),
      state,
      resuming: false,
    });
    const got = tensors?.find((t) => t.name === PROMPT_POOL)?.values;
    const per = 2 * dim;
    const expected = Float32Array.from(pool);
    for (const part of [0, 1])
      expected.copyWithin((part * 3 + 1) * per, part * 3 * per, (part * 3 + 1) * per);
    expect(Array.from(got ?? [])).toEqual(Array.from(expected));
    expect(Array.from(tensors?.find((t) => t.name === PROMPT_KEYS)?.values ?? [])).toEqual(Array.from(keys));
    // The stored state itself is left as it was.
    expect(state.tensors[PROMPT_POOL][per]).toBe(per);
  });
});
