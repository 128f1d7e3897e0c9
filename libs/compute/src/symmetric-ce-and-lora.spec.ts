import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend';
import { linear, lowRankWeight, symmetricCrossEntropy } from './ops';

/*
 * SLCA++'s two new differentiable pieces against independent float64 arithmetic: the symmetric
 * cross-entropy against its formula (by hand on a 2-class case, in float64 otherwise) and central finite
 * differences of that formula; the LoRA weight W + s·A·B inside a linear layer against finite differences.
 */

/** a·CE + b·RCE of one batch in float64, written from the definition (clamps included). */
function sceFormula(logits: number[][], labels: number[], a: number, b: number): number {
  let total = 0;
  logits.forEach((z, i) => {
    const max = Math.max(...z);
    const exps = z.map((v) => Math.exp(v - max));
    const sum = exps.reduce((s, v) => s + v, 0);
    const p = exps.map((v) => v / sum);
    const ce = -Math.log(p[labels[i]]);
    let rce = 0;
    p.forEach((pk, k) => {
      const onehot = Math.min(Math.max(k === labels[i] ? 1 : 0, 1e-4), 1);
      rce -= Math.min(Math.max(pk, 1e-7), 1) * Math.log(onehot);
    });
    total += a * ce + b * rce;
  });
  return total / logits.length;
}

function centralDifference(f: (x: number[]) => number, x: number[], h: number): number[] {
  return x.map((_, i) => {
    const up = x.slice();
    const down = x.slice();
    up[i] += h;
    down[i] -= h;
    return (f(up) - f(down)) / (2 * h);
  });
}

function sceOp(logits: number[][], labels: number[], a: number, b: number) {
  return tf.tidy(() => {
    const z = tf.tensor2d(logits);
    const y = tf.tensor1d(labels, 'int32');
    const { value, grad } = tf.valueAndGrad((t: tf.Tensor) => symmetricCrossEntropy(t, y, a, b))(z);
    return { value: value.dataSync()[0], grad: Array.from(grad.dataSync()) };
  });
}

describe('symmetric cross-entropy', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('equals a hand-computed two-class case, value and gradient', () => {
    // z = (0, 0), label 0, a = b = 1: p = (½, ½); CE = ln 2; RCE = −ln(1e-4)·½.
    // ∂CE/∂z = p − y = (−½, ½); RCE's g = ∂r/∂p = (0, −ln 1e-4), Σ g·p = −½ ln 1e-4,
    // ∂r/∂z = p ⊙ (g − Σ g·p) = (¼ ln 1e-4, −¼ ln 1e-4): raising the label's logit lowers both terms.
    const L = Math.log(1e-4);
    const { value, grad } = sceOp([[0, 0]], [0], 1, 1);
    expect(value).toBeCloseTo(Math.log(2) - 0.5 * L, 5);
    expect(grad[0]).toBeCloseTo(-0.5 + 0.25 * L, 5);
    expect(grad[1]).toBeCloseTo(0.5 - 0.25 * L, 5);
  });

  it('matches its formula and finite differences, with the reference configs’ weights', () => {
    const logits = [
      [0.3, -1.2, 2.0, 0.1],
      [1.5, 0.4, -0.7, -2.2],
      [-0.3, 0.9, 0.2, 1.1],
    ];
    const labels = [2, 0, 3];
    for (const [a, b] of [
      [1, 0.1], // CIFAR-100 and CUB-200
      [0.5, 0.5], // ImageNet-R and Cars-196
    ]) {
      const { value, grad } = sceOp(logits, labels, a, b);
      expect(value).toBeCloseTo(sceFormula(logits, labels, a, b), 5);
      const flat = logits.flat();
      const fd = centralDifference(
        (x) => sceFormula([x.slice(0, 4), x.slice(4, 8), x.slice(8, 12)], labels, a, b),
        flat,
        1e-5,
      );
      grad.forEach((g, i) => expect(g).toBeCloseTo(fd[i], 4));
    }
  });

  it('passes no reverse-term gradient through probabilities clamped at 1e-7', () => {
    // Class 1 and 2 have p ≈ e^-30 < 1e-7: the clamp holds them at 1e-7, so only CE moves them.
    const logits = [[30, 0, 0]];
    const { value, grad } = sceOp(logits, [0], 0, 1);
    expect(value).toBeCloseTo(sceFormula(logits, [0], 0, 1), 5);
    expect(value).toBeCloseTo(-Math.log(1e-4) * 2e-7, 8);
    const fd = centralDifference((x) => sceFormula([x], [0], 0, 1), logits[0], 1e-3);
    grad.forEach((g, i) => expect(g).toBeCloseTo(fd[i], 8));
    expect(grad.every((g) => Math.abs(g) < 1e-9)).toBe(true);
  });
});

describe('LoRA weight W + s·A·B', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  const inDim = 3;
  const outDim = 4;
  const rank = 2;
  const scale = 0.8;
  const seq = (n: number, k: number) => Array.from({ length: n }, (_, i) => Math.sin(1.3 * i + k) * 0.7);
  const x = seq(2 * inDim, 1); // two rows
  const w = seq(inDim * outDim, 2);
  const a = seq(inDim * rank, 3);
  const b = seq(rank * outDim, 4);
  const proj = seq(2 * outDim, 5);

  /** Σ proj ⊙ (x · (W + s·A·B) + bias) in float64. */
  function loss(wv: number[], av: number[], bv: number[]): number {
    let total = 0;
    for (let n = 0; n < 2; n++)
      for (let o = 0; o < outDim; o++) {
        let y = 0.25 * o;
        for (let i = 0; i < inDim; i++) {
          let ab = 0;
          for (let r = 0; r < rank; r++) ab += av[i * rank + r] * bv[r * outDim + o];
          y += x[n * inDim + i] * (wv[i * outDim + o] + scale * ab);
        }
        total += proj[n * outDim + o] * y;
      }
    return total;
  }

  it('forward and hand-written gradients agree with float64 finite differences', () => {
    const { value, grads } = tf.tidy(() => {
      const xt = tf.tensor2d(x, [2, inDim]);
      const bias = tf.tensor1d(seq(outDim, 0).map((_, o) => 0.25 * o));
      const pt = tf.tensor2d(proj, [2, outDim]);
      const f = (wt: tf.Tensor, at: tf.Tensor, bt: tf.Tensor) =>
        tf.sum(tf.mul(linear(xt, lowRankWeight(wt, at, bt, scale), bias), pt)) as tf.Scalar;
      const out = tf.valueAndGrads(f)([
        tf.tensor2d(w, [inDim, outDim]),
        tf.tensor2d(a, [inDim, rank]),
        tf.tensor2d(b, [rank, outDim]),
      ]);
      return { value: out.value.dataSync()[0], grads: out.grads.map((g) => Array.from(g.dataSync())) };
    });
    expect(value).toBeCloseTo(loss(w, a, b), 5);
    const h = 1e-5;
    const fdW = centralDifference((v) => loss(v, a, b), w, h);
    const fdA = centralDifference((v) => loss(w, v, b), a, h);
    const fdB = centralDifference((v) => loss(w, a, v), b, h);
    [fdW, fdA, fdB].forEach((fd, k) => grads[k].forEach((g, i) => expect(g).toBeCloseTo(fd[i], 4)));
    // B = 0 (SLCA++'s start): the update vanishes, whatever A is.
    const zero = new Array(rank * outDim).fill(0);
    expect(loss(w, a, zero)).toBeCloseTo(
      loss(
        w,
        a.map(() => 0),
        b,
      ),
      12,
    );
  });
});
