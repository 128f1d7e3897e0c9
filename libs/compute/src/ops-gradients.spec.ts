import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend';
import { gelu, matmul } from './ops';

function close(a: tf.Tensor, b: tf.Tensor, tol = 1e-5) {
  const x = a.dataSync();
  const y = b.dataSync();
  expect(x.length).toBe(y.length);
  x.forEach((v, i) => expect(Math.abs(v - y[i])).toBeLessThan(tol));
}

describe('wasm-friendly matmul gradient', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('2-D: same value and gradients as tf.matMul', () => {
    const a = tf.tensor2d([
      [1, 2, 3],
      [-1, 0.5, 2],
    ]);
    const b = tf.tensor2d([
      [0.5, -1],
      [2, 1],
      [0, 3],
    ]);
    const w = tf.tensor2d([
      [1, -2],
      [0.5, 3],
    ]);
    const ours = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(matmul(x, y), w)))([a, b]);
    const ref = tf.grads((x: tf.Tensor, y: tf.Tensor) =>
      tf.sum(tf.mul(tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D), w)),
    )([a, b]);
    close(matmul(a, b), tf.matMul(a, b));
    close(ours[0], ref[0]);
    close(ours[1], ref[1]);
    // hand check: d/da = w·bᵀ, row 0 = [1·0.5 + (−2)(−1), 1·2 + (−2)·1, 0 + (−2)·3] = [2.5, 0, −6]
    expect(Array.from(ours[0].dataSync().slice(0, 3))).toEqual([2.5, 0, -6]);
  });

  it('3-D batched: same gradients as tf.matMul', () => {
    const a = tf.tensor3d(
      Array.from({ length: 2 * 3 * 4 }, (_, i) => Math.sin(i)),
      [2, 3, 4],
    );
    const b = tf.tensor3d(
      Array.from({ length: 2 * 4 * 5 }, (_, i) => Math.cos(i)),
      [2, 4, 5],
    );
    const f = (mm: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor) =>
      tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(mm(x, y))))([a, b]);
    const ours = f(matmul);
    const ref = f((x, y) => tf.matMul(x as tf.Tensor3D, y as tf.Tensor3D));
    close(ours[0], ref[0], 1e-4);
    close(ours[1], ref[1], 1e-4);
  });

  it('rejects mismatched ranks', () => {
    expect(() => matmul(tf.zeros([2, 2]), tf.zeros([1, 2, 2]))).toThrow(/rank-2 or two rank-3/);
  });

  it('GELU is the exact erf form', () => {
    // 0.5·x·(1 + erf(x/√2)): x = 1 → 0.8413447460685429, x = −2 → −0.04550026389635842 (scipy)
    const y = gelu(tf.tensor1d([1, -2, 0])).dataSync();
    expect(y[0]).toBeCloseTo(0.8413447460685429, 5);
    expect(y[1]).toBeCloseTo(-0.04550026389635842, 5);
    expect(y[2]).toBe(0);
  });
});
