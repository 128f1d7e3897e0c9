import { describe, expect, it } from 'vitest';
import {
  accumulateGram,
  chooseRidge,
  choleskyWithRidge,
  leadingColumns,
  projectRelu,
  ridgeSolve,
  RidgeError,
} from './ridge';
import { randomProjection } from './ranpac';

describe('RanPAC ridge regression on three samples of two features', () => {
  // H = [[1,0],[0,1],[1,1]], labels [0,1,0] (two classes). By hand:
  //   G = HᵀH = [[2,1],[1,2]],  Q = HᵀY = [[2,0],[1,1]]  (column c = sum of the rows of class c)
  //   λ = 1: (G + I)⁻¹ = 1/8 · [[3,-1],[-1,3]],  W = (G + I)⁻¹ Q = 1/8 · [[5,-1],[1,3]].
  const h = Float64Array.from([1, 0, 0, 1, 1, 1]);

  it('accumulates the Gram matrix and the class prototypes', () => {
    const g = new Float64Array(4);
    const q = new Float64Array(4);
    accumulateGram(g, q, h, 3, 2, [0, 1, 0], 2);
    expect(Array.from(g)).toEqual([2, 1, 1, 2]);
    expect(Array.from(q)).toEqual([2, 0, 1, 1]);
    // A second task adds to the same sums: the statistics of all tasks together.
    accumulateGram(g, q, Float64Array.from([2, 0]), 1, 2, [1], 2);
    expect(Array.from(g)).toEqual([6, 1, 1, 2]);
    expect(Array.from(q)).toEqual([2, 2, 1, 1]);
    expect(() => accumulateGram(g, q, h, 1, 2, [2], 2)).toThrow('label 2 of row 0 is outside 0..1');
  });

  it('solves (G + λI) W = Q through Cholesky, as the closed form gives', () => {
    const g = Float64Array.from([2, 1, 1, 2]);
    const q = Float64Array.from([2, 0, 1, 1]);
    const l = choleskyWithRidge(g, 2, 1);
    expect(l[0]).toBeCloseTo(Math.sqrt(3), 15);
    expect(l[1]).toBe(0);
    expect(l[2]).toBeCloseTo(1 / Math.sqrt(3), 15);
    expect(l[3]).toBeCloseTo(Math.sqrt(8 / 3), 15);
    const w = ridgeSolve(g, q, 2, 2, 1);
    [5 / 8, -1 / 8, 1 / 8, 3 / 8].forEach((v, i) => expect(w[i]).toBeCloseTo(v, 15));
    expect(Array.from(leadingColumns(Float64Array.from([1, 2, 3, 4, 5, 6]), 2, 3, 2))).toEqual([1, 2, 4, 5]);
    expect(() => choleskyWithRidge(Float64Array.from([0, 0, 0, -1]), 2, 0)).toThrow(RidgeError);
  });

  it('chooses λ by validation: the primal form (one feature, 4 fitted rows, 1 held out)', () => {
    // Rows h = 1, y = 1 fitted: w_λ = 4 / (4 + λ); held out h = 1, y = 0.5: loss (4/(4+λ) − 0.5)², 0 at λ = 4.
    const features = Float64Array.from([1, 1, 1, 1, 1]);
    const y = Float64Array.from([1, 1, 1, 1, 0.5]);
    const { ridge, losses } = chooseRidge(features, y, 5, 1, 1, [1e-8, 1, 4, 100], 0.8);
    expect(ridge).toBe(4);
    [(4 / (4 + 1e-8) - 0.5) ** 2, 0.09, 0, (4 / 104 - 0.5) ** 2].forEach((v, i) =>
      expect(losses[i]).toBeCloseTo(v, 14),
    );
  });

  it('chooses λ by validation: the kernel form when M exceeds the fitted rows, same values as the primal', () => {
    // M = 2, fitted row h = (1,1), y = 1; held out h = (1,0), y = 1. Primal by hand: W = (1,1)/(2+λ),
    // prediction 1/(2+λ), loss ((1+λ)/(2+λ))²; the kernel form computes it from K = 2 instead.
    const features = Float64Array.from([1, 1, 1, 0]);
    const y = Float64Array.from([1, 1]);
    const { ridge, losses } = chooseRidge(features, y, 2, 2, 1, [1e-8, 1], 0.5);
    expect(ridge).toBe(1e-8);
    expect(losses[0]).toBeCloseTo(((1 + 1e-8) / (2 + 1e-8)) ** 2, 14);
    expect(losses[1]).toBeCloseTo(4 / 9, 14);
    expect(() => chooseRidge(features, y, 2, 2, 1, [1], 0.4)).toThrow(/leave 0 and 2/);
  });

  it('projects with ReLU through a fixed seeded N(0, 1) matrix', () => {
    // f = (1, 2), W = [[1,-1],[1,-3]]: f·W = (3, -7) → ReLU (3, 0).
    expect(
      Array.from(projectRelu(Float32Array.from([1, 2]), 1, 2, Float32Array.from([1, -1, 1, -3]), 2)),
    ).toEqual([3, 0]);
    expect(Array.from(projectRelu(Float32Array.from([1, -2]), 1, 2, null, 2))).toEqual([1, -2]);
    const a = randomProjection(1993, 16, 500);
    expect(randomProjection(1993, 16, 500)).toEqual(a);
    expect(randomProjection(1996, 16, 500)).not.toEqual(a);
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    const variance = a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length;
    // 8,000 standard normal draws: mean within 4 standard errors of 0, variance near 1.
    expect(Math.abs(mean)).toBeLessThan(4 / Math.sqrt(a.length));
    expect(variance).toBeGreaterThan(0.93);
    expect(variance).toBeLessThan(1.07);
  });
});
