/**
 * Per-class feature statistics (docs/method.md §9): mean and unbiased covariance accumulated in float64,
 * plus a small ridge, and the Cholesky factor used to sample from N(μ, Σ). Computed once, when a class is
 * learned, and never recomputed.
 */
export interface ClassStatistics {
  classId: number;
  /** The task in which the class was learned (t_c). */
  task: number;
  count: number;
  dim: number;
  mean: Float64Array;
  /** Row-major d×d covariance including the ridge. */
  covariance: Float64Array;
  /** Lower-triangular Cholesky factor of `covariance`, row-major d×d. */
  cholesky: Float64Array;
}

export class StatisticsError extends Error {
  override name = 'StatisticsError';
}

export const DEFAULT_COVARIANCE_RIDGE = 1e-4;

/**
 * Statistics of one class from its rows of a feature matrix [n, dim].
 * Throws naming the class on too few samples, non-finite values, or a covariance that is not positive
 * definite after the ridge — never a silent NaN downstream.
 */
export function classStatistics(
  features: Float32Array,
  dim: number,
  rows: readonly number[],
  classId: number,
  task: number,
  ridge = DEFAULT_COVARIANCE_RIDGE,
): ClassStatistics {
  const n = rows.length;
  if (n < 2)
    throw new StatisticsError(`class ${classId}: ${n} training sample(s); a covariance needs at least 2`);
  const mean = new Float64Array(dim);
  for (const r of rows) {
    const base = r * dim;
    for (let j = 0; j < dim; j++) mean[j] += features[base + j];
  }
  for (let j = 0; j < dim; j++) {
    mean[j] /= n;
    if (!Number.isFinite(mean[j]))
      throw new StatisticsError(`class ${classId}: feature mean is not finite (dimension ${j})`);
  }
  const cov = new Float64Array(dim * dim);
  const centred = new Float64Array(dim);
  for (const r of rows) {
    const base = r * dim;
    for (let j = 0; j < dim; j++) centred[j] = features[base + j] - mean[j];
    for (let a = 0; a < dim; a++) {
      const ca = centred[a];
      const row = a * dim;
      for (let b = 0; b <= a; b++) cov[row + b] += ca * centred[b];
    }
  }
  for (let a = 0; a < dim; a++) {
    for (let b = 0; b <= a; b++) {
      const v = cov[a * dim + b] / (n - 1);
      cov[a * dim + b] = v;
      cov[b * dim + a] = v;
    }
    cov[a * dim + a] += ridge;
  }
  for (let i = 0; i < cov.length; i++) {
    if (!Number.isFinite(cov[i])) throw new StatisticsError(`class ${classId}: covariance is not finite`);
  }
  let chol: Float64Array;
  try {
    chol = cholesky(cov, dim);
  } catch (e) {
    throw new StatisticsError(`class ${classId}: ${(e as Error).message}`);
  }
  return { classId, task, count: n, dim, mean, covariance: cov, cholesky: chol };
}

/** Lower-triangular L with L·Lᵀ = a (row-major); throws if a is not symmetric positive definite. */
export function cholesky(a: Float64Array, dim: number): Float64Array {
  if (a.length !== dim * dim)
    throw new StatisticsError(`cholesky: expected ${dim}×${dim} values, got ${a.length}`);
  const l = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * dim + j];
      for (let k = 0; k < j; k++) s -= l[i * dim + k] * l[j * dim + k];
      if (i === j) {
        if (!(s > 0)) throw new StatisticsError(`covariance is not positive definite (pivot ${i} = ${s})`);
        l[i * dim + i] = Math.sqrt(s);
      } else {
        l[i * dim + j] = s / l[j * dim + j];
      }
    }
  }
  return l;
}
