import * as tf from '@tensorflow/tfjs-core';
import { Mt19937 } from '@slca/data';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@slca/compute';
import { alignClassifier, DEFAULT_ALIGNMENT, meanShrinkFactor, sampleClass } from './alignment';
import type { Head } from './heads';
import { classStatistics, type ClassStatistics } from './statistics';

function gaussianStats(classId: number, task: number, mean: number[], rng: Mt19937): ClassStatistics {
  const n = 200;
  const d = mean.length;
  const f = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) f[i * d + j] = mean[j] + 0.3 * rng.standardNormal();
  return classStatistics(f, d, [...Array(n).keys()], classId, task);
}

describe('classifier alignment', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('shrinks old class means by 0.9 + 0.1·(t_c+1)/(t+1)', () => {
    expect(meanShrinkFactor(0, 1)).toBeCloseTo(0.95, 15); // 0.9 + 0.1·1/2
    expect(meanShrinkFactor(0, 9)).toBeCloseTo(0.91, 15); // 0.9 + 0.1·1/10
    expect(meanShrinkFactor(3, 3)).toBe(1); // current task: exact mean
  });

  it('samples N(scale·μ, Σ): empirical mean and variance match', () => {
    const rng = new Mt19937(3);
    const s = gaussianStats(0, 0, [2, -1], rng);
    const x = sampleClass(s, 4000, 0.5, new Mt19937(4));
    const { mean, variance } = tf.moments(x, 0);
    const m = mean.dataSync();
    expect(m[0]).toBeCloseTo(0.5 * s.mean[0], 1);
    expect(m[1]).toBeCloseTo(0.5 * s.mean[1], 1);
    expect(variance.dataSync()[0]).toBeCloseTo(s.covariance[0], 1);
  });

  it('realigns heads that favour the newest task, without touching its inputs', async () => {
    const rng = new Mt19937(5);
    // Task 0: class 0 at (+3, 0), class 1 at (0, +3); task 1: class 2 at (−3, 0), class 3 at (0, −3).
    const stats = [
      gaussianStats(0, 0, [3, 0], rng),
      gaussianStats(1, 0, [0, 3], rng),
      gaussianStats(2, 1, [-3, 0], rng),
      gaussianStats(3, 1, [0, -3], rng),
    ];
    // Heads biased so that everything is predicted as task 1's classes.
    const heads: Head[] = [
      { classes: 2, weight: new Float32Array([0.1, 0, 0, 0.1]), bias: new Float32Array([-5, -5]) },
      { classes: 2, weight: new Float32Array([-0.1, 0, 0, -0.1]), bias: new Float32Array([5, 5]) },
    ];
    const before = heads.map((h) => h.bias.slice());
    const aligned = await alignClassifier(
      heads,
      stats,
      1,
      { ...DEFAULT_ALIGNMENT, epochs: 5, lr: 0.1 },
      new Mt19937(6),
    );
    expect(heads.map((h) => Array.from(h.bias))).toEqual(before.map((b) => Array.from(b)));
    // After alignment each class mean is classified as its own class.
    const W = [aligned[0].weight, aligned[1].weight];
    const logits = (x: number[]) =>
      [0, 1].flatMap((k) => [0, 1].map((c) => x[0] * W[k][c] + x[1] * W[k][2 + c] + aligned[k].bias[c]));
    stats.forEach((s) => {
      const z = logits([s.mean[0], s.mean[1]]);
      expect(z.indexOf(Math.max(...z))).toBe(s.classId);
    });
  });

  it('is deterministic for a seed', async () => {
    const rng = new Mt19937(9);
    const stats = [gaussianStats(0, 0, [1, 0], rng), gaussianStats(1, 1, [0, 1], rng)];
    const heads: Head[] = [
      { classes: 1, weight: new Float32Array([0.01, 0.02]), bias: new Float32Array([0]) },
      { classes: 1, weight: new Float32Array([0.03, -0.01]), bias: new Float32Array([0]) },
    ];
    const opts = { ...DEFAULT_ALIGNMENT, epochs: 2 };
    const a = await alignClassifier(heads, stats, 1, opts, new Mt19937(1));
    const b = await alignClassifier(heads, stats, 1, opts, new Mt19937(1));
    expect(Array.from(a[1].weight)).toEqual(Array.from(b[1].weight));
  });
});
