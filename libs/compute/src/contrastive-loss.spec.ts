import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend';
import { contrastiveLoss } from './ops';

/** The loss written out in float64 with plain loops, independently of the tensor version. */
function reference(features: number[][], ids: number[], temperature: number): number {
  const z = features.map((f) => {
    const norm = Math.hypot(...f);
    return f.map((v) => v / norm);
  });
  const s = (i: number, j: number) => z[i].reduce((acc, v, k) => acc + v * z[j][k], 0) / temperature;
  let total = 0;
  let anchors = 0;
  for (let i = 0; i < ids.length; i++) {
    const pos = ids.map((id, j) => j).filter((j) => j !== i && ids[j] === ids[i]);
    if (pos.length === 0) continue;
    let denom = 0;
    for (let a = 0; a < ids.length; a++) if (a !== i) denom += Math.exp(s(i, a));
    total += -pos.reduce((acc, p) => acc + s(i, p) - Math.log(denom), 0) / pos.length;
    anchors++;
  }
  return total / anchors;
}

function value(features: number[][], ids: number[], temperature: number): number {
  return tf.tidy(() => contrastiveLoss(tf.tensor2d(features), Int32Array.from(ids), temperature).arraySync());
}

beforeAll(async () => {
  await initBackend('cpu');
});

// a = b = (1, 0), c = (0, 1)
const TWO_VIEWS_AND_ONE = [
  [1, 0],
  [1, 0],
  [0, 1],
];

describe('contrastiveLoss', () => {
  it('matches the hand-computed value: two views of one image and one other image', () => {
    // a = b = (1, 0), c = (0, 1), τ = 1: for a and b the positive has s = 1, the negative s = 0, so
    // ℓ = −log(e / (e + 1)) = log(1 + e⁻¹) = 0.3132617; c has no positive and adds nothing.
    const expected = Math.log(1 + Math.exp(-1));
    expect(expected).toBeCloseTo(0.3132617, 6);
    expect(value(TWO_VIEWS_AND_ONE, [0, 0, 1], 1)).toBeCloseTo(expected, 5);
    // features are normalised first: scaling a row changes nothing
    expect(
      value(
        [
          [3, 0],
          [0.5, 0],
          [0, 7],
        ],
        [0, 0, 1],
        1,
      ),
    ).toBeCloseTo(expected, 5);
    // τ = 0.5 doubles every similarity: log(1 + e⁻²)
    expect(value(TWO_VIEWS_AND_ONE, [0, 0, 1], 0.5)).toBeCloseTo(Math.log(1 + Math.exp(-2)), 5);
  });

  it('agrees with a float64 loop implementation on random batches, two views and three', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
    for (const ids of [
      [0, 1, 2, 3, 0, 1, 2, 3],
      [5, 5, 5, 9, 9, 1],
    ]) {
      const feats = ids.map(() => Array.from({ length: 6 }, rand));
      for (const t of [0.2, 1]) expect(value(feats, ids, t)).toBeCloseTo(reference(feats, ids, t), 4);
    }
  });

  it('has the gradient of the formula (central differences of the float64 reference)', () => {
    const feats = [
      [0.3, -1.2, 0.5],
      [0.4, -0.9, 0.2],
      [-1, 0.1, 0.7],
      [-0.8, 0.3, 1.1],
    ];
    const ids = [0, 0, 1, 1];
    const grad = tf.tidy(() =>
      tf
        .grad((x: tf.Tensor) => contrastiveLoss(x, Int32Array.from(ids), 0.5))(tf.tensor2d(feats))
        .arraySync(),
    ) as number[][];
    const h = 1e-5;
    feats.forEach((row, i) =>
      row.forEach((_, k) => {
        const plus = feats.map((r) => [...r]);
        const minus = feats.map((r) => [...r]);
        plus[i][k] += h;
        minus[i][k] -= h;
        const numeric = (reference(plus, ids, 0.5) - reference(minus, ids, 0.5)) / (2 * h);
        expect(grad[i][k]).toBeCloseTo(numeric, 3);
      }),
    );
  });

  it('refuses a batch without a positive pair, a bad temperature and mismatched sizes', () => {
    expect(() =>
      value(
        [
          [1, 0],
          [0, 1],
        ],
        [0, 1],
        1,
      ),
    ).toThrow(/no positive pair/);
    expect(() =>
      value(
        [
          [1, 0],
          [1, 0],
        ],
        [0, 0],
        0,
      ),
    ).toThrow(/temperature must be > 0/);
    expect(() =>
      value(
        [
          [1, 0],
          [1, 0],
        ],
        [0, 0, 0],
        1,
      ),
    ).toThrow(/2 feature rows but 3 ids/);
  });
});
