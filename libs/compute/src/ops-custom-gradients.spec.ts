import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend';
import { checkOp, stridedMatMul, type MatOp } from './device/strided-matmul';
import {
  clsAttention,
  clsAttentionReference,
  gelu,
  geluReference,
  layerNorm,
  layerNormReference,
  linear,
  linearFrozen,
  selfAttention,
  selfAttentionReference,
} from './ops';
import { paramSpecs, type VitArch } from './vit/arch';
import { vitFeatures } from './vit/forward';

/*
 * Every hand-written gradient against tfjs autodiff of the plain formula (to 1e-4), on the wasm backend
 * where the custom paths run, and the strided SIMD kernels against tf.matMul.
 */

function filled(shape: number[], seed: number, scale = 1): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from(
      { length: n },
      (_, i) => scale * Math.sin(0.7 * i + seed) * Math.cos(0.13 * i * seed + 1),
    ),
    shape,
  );
}

function expectClose(a: tf.Tensor, b: tf.Tensor, tol = 1e-4) {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
  expect(worst).toBeLessThan(tol);
}

/** Values and gradients (of a fixed random projection of the output) of f and ref agree. */
function sameGradients(
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  ref: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: tf.Tensor[],
) {
  tf.tidy(() => {
    const out = f(...inputs);
    const proj = filled(out.shape, 11);
    expectClose(out, ref(...inputs));
    const loss =
      (g: (...xs: tf.Tensor[]) => tf.Tensor) =>
      (...xs: tf.Tensor[]) =>
        tf.sum(tf.mul(g(...xs), proj));
    const ours = tf.grads(loss(f))(inputs);
    const theirs = tf.grads(loss(ref))(inputs);
    ours.forEach((g, i) => expectClose(g, theirs[i]));
  });
}

describe('custom gradients match autodiff of the plain formulas', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('layerNorm (3-D and 2-D input)', () => {
    for (const shape of [
      [2, 5, 8],
      [3, 12],
    ]) {
      const d = shape[shape.length - 1];
      sameGradients(
        (x, g, b) => layerNorm(x, g, b, 1e-6),
        (x, g, b) => layerNormReference(x, g, b, 1e-6),
        [filled(shape, 1, 2), filled([d], 2), filled([d], 3)],
      );
    }
  });

  it('GELU', () => {
    sameGradients(gelu, geluReference, [filled([4, 9], 4, 3)]);
  });

  it('linear with and without bias, 2-D and 3-D, dims that do and do not suit the SIMD kernels', () => {
    for (const [shape, out] of [
      [[6, 8], 12],
      [[2, 5, 8], 12],
      [[3, 7], 5],
    ] as [number[], number][]) {
      const inDim = shape[shape.length - 1];
      const plain = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
        tf.add(tf.reshape(tf.matMul(tf.reshape(x, [-1, inDim]), w), [...shape.slice(0, -1), out]), b);
      sameGradients(linear, plain, [filled(shape, 5), filled([inDim, out], 6), filled([out], 7)]);
      sameGradients(
        (x, w) => linear(x, w),
        (x, w) => tf.reshape(tf.matMul(tf.reshape(x, [-1, inDim]), w), [...shape.slice(0, -1), out]),
        [filled(shape, 8), filled([inDim, out], 9)],
      );
    }
  });

  it('self-attention on strided views of qkv', () => {
    for (const [b, t, heads, dh] of [
      [2, 5, 2, 4],
      [1, 7, 3, 8],
    ]) {
      sameGradients(
        (qkv) => selfAttention(qkv, heads),
        (qkv) => selfAttentionReference(qkv, heads),
        [filled([b, t, 3 * heads * dh], 10)],
      );
    }
  });

  it('CLS-query attention', () => {
    sameGradients(
      (q, kv) => clsAttention(q, kv, 2),
      (q, kv) => clsAttentionReference(q, kv, 2),
      [filled([3, 8], 12), filled([3, 6, 16], 13)],
    );
  });

  it('linearFrozen: linear’s forward and input gradient bit for bit, W and b held constant', () => {
    for (const [shape, out] of [
      [[6, 8], 12],
      [[2, 5, 8], 12],
      [[3, 7], 5],
    ] as [number[], number][]) {
      const inDim = shape[shape.length - 1];
      const x = filled(shape, 11);
      const w = filled([inDim, out], 12);
      const b = filled([out], 13);
      for (const bias of [b, undefined]) {
        const sum = (f: typeof linear) => (v: tf.Tensor) => tf.sum(tf.mul(f(v, w, bias), filled([out], 14)));
        expect(Array.from(linearFrozen(x, w, bias).dataSync())).toEqual(
          Array.from(linear(x, w, bias).dataSync()),
        );
        expect(Array.from(tf.grad(sum(linearFrozen))(x).dataSync())).toEqual(
          Array.from(tf.grad(sum(linear))(x).dataSync()),
        );
      }
    }
  });

  it('ViT: the CLS-only last block gives the full model’s features and gradients', () => {
    const arch: VitArch = { imageSize: 8, patchSize: 4, dim: 8, depth: 2, heads: 2, mlpDim: 16 };
    const specs = paramSpecs(arch);
    const params = Object.fromEntries(
      specs.map((s, i) => [s.name, tf.add(filled(s.shape, 20 + i, 0.3), s.init === 'ones' ? 1 : 0)]),
    );
    const names = specs.map((s) => s.name);
    const patches = filled([3, 4, 48], 40);
    const features =
      (full: boolean) =>
      (...ts: tf.Tensor[]) =>
        vitFeatures(Object.fromEntries(names.map((n, i) => [n, ts[i]])), patches, arch, {
          finalNormEps: 1e-5,
          fullLastBlock: full,
        });
    sameGradients(
      features(false),
      features(true),
      names.map((n) => params[n]),
    );
  });
});

describe('strided SIMD matmul kernels', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('nn and nt forms, plain and transposed views, with row and column remainders', () => {
    tf.tidy(() => {
      for (const [m, k, n] of [
        [5, 3, 4],
        [9, 8, 12],
        [1, 6, 8],
        [7, 4, 20],
      ]) {
        const a = filled([2, m, k], m);
        const b = filled([2, k, n], n);
        const ref = tf.matMul(a, b);
        const nn: MatOp = {
          form: 'nn',
          a: 0,
          b: 1,
          dims: [2, 1, m, n, k],
          aView: [0, m * k, 0, k, 1],
          bView: [0, k * n, 0, n, 1],
          cView: [0, m * n, 0, n, 1],
          alpha: 1,
        };
        expectClose(stridedMatMul([a, b], [2, m, n], [nn]), ref);
        // Aᵀ read by strides: pass a transposed copy of A and swap its row/column strides back.
        const at = tf.transpose(a, [0, 2, 1]);
        expectClose(stridedMatMul([at, b], [2, m, n], [{ ...nn, aView: [0, m * k, 0, 1, m] }]), ref);
        if (k % 4 === 0) {
          const bt = tf.transpose(b, [0, 2, 1]);
          const nt: MatOp = { ...nn, form: 'nt', bView: [0, k * n, 0, k, 1], alpha: 0.5 };
          expectClose(stridedMatMul([a, bt], [2, m, n], [nt]), tf.mul(ref, 0.5));
        }
      }
    });
  });

  it('refuses views that leave their tensors', () => {
    const op: MatOp = {
      form: 'nn',
      a: 0,
      b: 1,
      dims: [1, 1, 2, 4, 3],
      aView: [0, 0, 0, 3, 1],
      bView: [0, 0, 0, 4, 1],
      cView: [0, 0, 0, 4, 1],
      alpha: 1,
    };
    expect(() => checkOp(op, [6, 12], 8)).not.toThrow();
    expect(() => checkOp({ ...op, aView: [1, 0, 0, 3, 1] }, [6, 12], 8)).toThrow(/leaves its tensor/);
    expect(() => checkOp(op, [6, 12], 7)).toThrow(/leaves its tensor/);
    expect(() => checkOp({ ...op, dims: [1, 1, 2, 3, 3] }, [6, 12], 8)).toThrow(/multiple of 4/);
  });
});
