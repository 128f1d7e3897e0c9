import { describe, expect, it } from 'vitest';
import { cholesky, classStatistics, StatisticsError } from './statistics';

/*
 * Four 3-d features of one class. Expected values from NumPy:
 *   f.mean(0); np.cov(f, rowvar=False, ddof=1) + 1e-4*np.eye(3); np.linalg.cholesky(...)
 * e.g. mean[0] = (1+2+0+4)/4 = 1.75; var[0] = ((−.75)²+.25²+(−1.75)²+2.25²)/3 = 8.75/3 = 2.91667 (+1e-4).
 */
const FEATURES = new Float32Array([1, 2, 0.5, 2, 1, -1, 0, 3, 2, 4, -1, 1]);
const MEAN = [1.75, 1.25, 0.625];
const COV = [
  [2.9167666666666667, -2.9166666666666665, -0.625],
  [-2.9166666666666665, 2.9167666666666667, 0.625],
  [-0.625, 0.625, 1.5626],
];
const CHOL = [
  [1.70785440441118, 0, 0],
  [-1.7077958514105602, 0.014142014409074009, 0],
  [-0.3659562538736915, 0.0015151898548552984, 1.1952714020047657],
];

describe('class statistics of four samples', () => {
  it('computes the float64 mean, unbiased covariance + 1e-4·I and its Cholesky factor', () => {
    const s = classStatistics(FEATURES, 3, [0, 1, 2, 3], 7, 2);
    expect(s.classId).toBe(7);
    expect(s.task).toBe(2);
    expect(s.count).toBe(4);
    MEAN.forEach((m, j) => expect(s.mean[j]).toBeCloseTo(m, 12));
    COV.forEach((row, a) => row.forEach((v, b) => expect(s.covariance[a * 3 + b]).toBeCloseTo(v, 10)));
    CHOL.forEach((row, a) => row.forEach((v, b) => expect(s.cholesky[a * 3 + b]).toBeCloseTo(v, 9)));
  });

  it('uses only the given rows', () => {
    const s = classStatistics(FEATURES, 3, [1, 3], 0, 0);
    expect(Array.from(s.mean)).toEqual([3, 0, 0]);
    // two samples: var[0] = ((2−3)² + (4−3)²)/1 = 2, plus the ridge
    expect(s.covariance[0]).toBeCloseTo(2.0001, 12);
  });

  it('refuses a class with a single sample, naming it', () => {
    expect(() => classStatistics(FEATURES, 3, [2], 11, 0)).toThrow(/class 11: 1 training sample/);
  });

  it('refuses non-finite features, naming the class', () => {
    const bad = FEATURES.slice();
    bad[4] = Number.NaN;
    expect(() => classStatistics(bad, 3, [0, 1, 2, 3], 5, 1)).toThrow(StatisticsError);
    expect(() => classStatistics(bad, 3, [0, 1, 2, 3], 5, 1)).toThrow(/class 5/);
  });

  it('refuses a covariance that is not positive definite even with the ridge', () => {
    // identical samples: covariance 0, and a ridge of 0 leaves it singular
    const same = new Float32Array([1, 1, 1, 1, 1, 1]);
    expect(() => classStatistics(same, 3, [0, 1], 9, 0, 0)).toThrow(
      /class 9: covariance is not positive definite/,
    );
    // with the default ridge the same class is fine: Σ = 1e-4·I, L = 1e-2·I
    expect(classStatistics(same, 3, [0, 1], 9, 0).cholesky[0]).toBeCloseTo(0.01, 12);
  });

  it('cholesky rejects an indefinite matrix', () => {
    expect(() => cholesky(new Float64Array([1, 2, 2, 1]), 2)).toThrow(/not positive definite/);
  });
});
