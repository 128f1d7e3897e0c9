import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@slca/compute';
import { logitNormalize } from './logit-norm';

/*
 * Two tasks of two classes, τ = 0.1. Row 1: z = [3, 4 | 0, 1]: task norms 5 and 1, mean 3, so
 * ẑ = z / (3·0.1) = [10, 13.333, 0, 3.333]. Row 2 (checked with NumPy): z = [1, −1 | 2, 2]: norms √2 and
 * 2√2, mean 1.5√2 = 2.12132, ẑ = z / 0.212132 = [4.71404, −4.71404, 9.42809, 9.42809].
 */
describe('logit normalisation with two tasks', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('divides each row by the mean per-task norm times τ', () => {
    const z = tf.tensor2d([
      [3, 4, 0, 1],
      [1, -1, 2, 2],
    ]);
    const out = logitNormalize(z, [2, 2], 0.1).arraySync();
    const expected = [
      [9.999999666666676, 13.333332888888902, 0, 3.3333332222222256],
      [4.714044985688105, -4.714044985688105, 9.42808997137621, 9.42808997137621],
    ];
    out.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(expected[i][j], 4)));
  });

  it('depends on the task split, not just the whole-row norm', () => {
    const z = tf.tensor2d([[3, 4, 0, 1]]);
    // one task of four: norm √26 = 5.09902, ẑ[0] = 3 / 0.509902 = 5.88348
    expect(logitNormalize(z, [4], 0.1).arraySync()[0][0]).toBeCloseTo(5.88348, 4);
  });
});
