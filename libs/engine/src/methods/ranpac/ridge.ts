/**
 * The linear algebra of RanPAC (McDonnell et al., NeurIPS 2023), in float64: random projection with ReLU,
 * the Gram matrix and class-prototype accumulation, ridge regression through a Cholesky factorisation, and
 * the choice of the ridge λ by validation on held-out training features, as the reference
 * (`RanPAC.py`, `optimise_ridge_parameter`) does it.
 */

export class RidgeError extends Error {
  override name = 'RidgeError';
}

/** H = ReLU(F · W) (or F itself when `weight` is null), F [n, inDim] float32, W [inDim, outDim]; float64 out. */
export function projectRelu(
  features: Float32Array,
  n: number,
  inDim: number,
  weight: Float32Array | null,
  outDim: number,
): Float64Array {
  if (!weight) return Float64Array.from(features.subarray(0, n * inDim));
  const h = new Float64Array(n * outDim);
  for (let i = 0; i < n; i++) {
    const row = h.subarray(i * outDim, (i + 1) * outDim);
    for (let k = 0; k < inDim; k++) {
      const f = features[i * inDim + k];
      if (f === 0) continue;
      const w = weight.subarray(k * outDim, (k + 1) * outDim);
      for (let j = 0; j < outDim; j++) row[j] += f * w[j];
    }
    for (let j = 0; j < outDim; j++) if (!(row[j] > 0)) row[j] = 0;
  }
  return h;
}

/**
 * G += Hᵀ H and Q[:, label] += h for every row of H [n, m] (G [m, m] full, Q [m, classes] row-major):
 * RanPAC's second-order statistics and class prototypes, summed over every task seen.
 */
export function accumulateGram(
  gram: Float64Array,
  targets: Float64Array,
  h: Float64Array,
  n: number,
  m: number,
  labels: ArrayLike<number>,
  classes: number,
): void {
  for (let i = 0; i < n; i++) {
    const row = h.subarray(i * m, (i + 1) * m);
    const label = labels[i];
    if (!Number.isInteger(label) || label < 0 || label >= classes)
      throw new RidgeError(`label ${label} of row ${i} is outside 0..${classes - 1}`);
    for (let a = 0; a < m; a++) {
      const ha = row[a];
      if (ha === 0) continue;
      targets[a * classes + label] += ha;
      const g = gram.subarray(a * m, (a + 1) * m);
      for (let b = a; b < m; b++) g[b] += ha * row[b];
    }
  }
  for (let a = 0; a < m; a++) for (let b = 0; b < a; b++) gram[a * m + b] = gram[b * m + a];
}

/** Lower-triangular L with L Lᵀ = A + λI (A [n, n] symmetric, row-major); refuses a non-positive pivot. */
export function choleskyWithRidge(a: Float64Array, n: number, lambda: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const lj = l.subarray(j * n, j * n + j);
    let s = a[j * n + j] + lambda;
    for (let k = 0; k < j; k++) s -= lj[k] * lj[k];
    if (!(s > 0) || !Number.isFinite(s))
      throw new RidgeError(
        `the ridge system (λ = ${lambda}) is not positive definite at pivot ${j} (${s}); choose larger ridges`,
      );
    const d = Math.sqrt(s);
    l[j * n + j] = d;
    for (let i = j + 1; i < n; i++) {
      const li = l.subarray(i * n, i * n + j);
      let t = a[i * n + j];
      for (let k = 0; k < j; k++) t -= li[k] * lj[k];
      l[i * n + j] = t / d;
    }
  }
  return l;
}

/** X with L Lᵀ X = B, B [n, cols] row-major. */
export function solveCholesky(l: Float64Array, n: number, b: Float64Array, cols: number): Float64Array {
  const x = Float64Array.from(b);
  for (let i = 0; i < n; i++) {
    const xi = x.subarray(i * cols, (i + 1) * cols);
    for (let k = 0; k < i; k++) {
      const lik = l[i * n + k];
      if (lik === 0) continue;
      const xk = x.subarray(k * cols, (k + 1) * cols);
      for (let c = 0; c < cols; c++) xi[c] -= lik * xk[c];
    }
    const d = l[i * n + i];
    for (let c = 0; c < cols; c++) xi[c] /= d;
  }
  for (let i = n - 1; i >= 0; i--) {
    const xi = x.subarray(i * cols, (i + 1) * cols);
    for (let k = i + 1; k < n; k++) {
      const lki = l[k * n + i];
      if (lki === 0) continue;
      const xk = x.subarray(k * cols, (k + 1) * cols);
      for (let c = 0; c < cols; c++) xi[c] -= lki * xk[c];
    }
    const d = l[i * n + i];
    for (let c = 0; c < cols; c++) xi[c] /= d;
  }
  return x;
}

/** W = (G + λI)⁻¹ Q: the ridge-regression read-out, G [m, m], Q [m, cols]. */
export function ridgeSolve(
  gram: Float64Array,
  targets: Float64Array,
  m: number,
  cols: number,
  lambda: number,
): Float64Array {
  return solveCholesky(choleskyWithRidge(gram, m, lambda), m, targets, cols);
}

/** The first `cols` columns of a row-major [rows, stride] matrix. */
export function leadingColumns(a: Float64Array, rows: number, stride: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) out.set(a.subarray(r * stride, r * stride + cols), r * cols);
  return out;
}

/** A Bᵀ for A [p, k], B [q, k] row-major. */
function timesTransposed(a: Float64Array, p: number, b: Float64Array, q: number, k: number): Float64Array {
  const out = new Float64Array(p * q);
  for (let i = 0; i < p; i++) {
    const ai = a.subarray(i * k, (i + 1) * k);
    for (let j = 0; j < q; j++) {
      const bj = b.subarray(j * k, (j + 1) * k);
      let s = 0;
      for (let t = 0; t < k; t++) s += ai[t] * bj[t];
      out[i * q + j] = s;
    }
  }
  return out;
}

/** A B for A [p, k], B [k, q] row-major. */
function times(a: Float64Array, p: number, b: Float64Array, k: number, q: number): Float64Array {
  const out = new Float64Array(p * q);
  for (let i = 0; i < p; i++) {
    const oi = out.subarray(i * q, (i + 1) * q);
    for (let t = 0; t < k; t++) {
      const ait = a[i * k + t];
      if (ait === 0) continue;
      const bt = b.subarray(t * q, (t + 1) * q);
      for (let j = 0; j < q; j++) oi[j] += ait * bt[j];
    }
  }
  return out;
}

export interface RidgeChoice {
  ridge: number;
  /** Validation MSE of each candidate, in the order given. */
  losses: number[];
}

/**
 * RanPAC's choice of λ (reference `optimise_ridge_parameter`): fit W_λ = (H_fitᵀ H_fit + λI)⁻¹ H_fitᵀ Y_fit on
 * the first ⌊n · fitFraction⌋ rows of H [n, m], and keep the λ whose predictions H_val W_λ on the remaining
 * rows have the smallest mean squared error against their one-hot targets Y [n, classes] (the first
 * smallest on ties, as `np.argmin`). The reference averages over all the dataset's classes; columns of
 * classes absent from the task are zero in both prediction and target, so the choice is the same.
 * When m exceeds the fitted rows, the predictions are computed in the equivalent kernel form
 * H_val H_fitᵀ (H_fit H_fitᵀ + λI)⁻¹ Y_fit, a system of ⌊n · fitFraction⌋ unknowns instead of m.
 */
export function chooseRidge(
  h: Float64Array,
  y: Float64Array,
  n: number,
  m: number,
  classes: number,
  ridges: readonly number[],
  fitFraction: number,
): RidgeChoice {
  const nFit = Math.floor(n * fitFraction);
  const nVal = n - nFit;
  if (nFit < 1 || nVal < 1)
    throw new RidgeError(
      `choosing the ridge needs rows to fit and to validate: ${n} training images with fitFraction ${fitFraction} leave ${nFit} and ${nVal}`,
    );
  const hFit = h.subarray(0, nFit * m);
  const hVal = h.subarray(nFit * m, n * m);
  const yFit = y.subarray(0, nFit * classes);
  const yVal = y.subarray(nFit * classes, n * classes);
  const kernel = m > nFit;
  let predict: (lambda: number) => Float64Array;
  if (kernel) {
    const k = timesTransposed(hFit, nFit, hFit, nFit, m);
    const kVal = timesTransposed(hVal, nVal, hFit, nFit, m);
    predict = (lambda) => times(kVal, nVal, ridgeSolve(k, yFit, nFit, classes, lambda), nFit, classes);
  } else {
    const gFit = new Float64Array(m * m);
    const qFit = new Float64Array(m * classes);
    for (let i = 0; i < nFit; i++)
      for (let a = 0; a < m; a++) {
        const ha = hFit[i * m + a];
        if (ha === 0) continue;
        for (let b = 0; b < m; b++) gFit[a * m + b] += ha * hFit[i * m + b];
        for (let c = 0; c < classes; c++) qFit[a * classes + c] += ha * yFit[i * classes + c];
      }
    predict = (lambda) => times(hVal, nVal, ridgeSolve(gFit, qFit, m, classes, lambda), m, classes);
  }
  const losses = ridges.map((lambda) => {
    let pred: Float64Array;
    try {
      pred = predict(lambda);
    } catch (error) {
      // A λ too small for the fitted rows' rank in float64: not a candidate (the reference's LU solve
      // would return a useless read-out, which validation would reject as well).
      if (error instanceof RidgeError) return Number.POSITIVE_INFINITY;
      throw error;
    }
    let sum = 0;
    for (let i = 0; i < pred.length; i++) sum += (pred[i] - yVal[i]) ** 2;
    return sum / pred.length;
  });
  let best = 0;
  for (let i = 1; i < losses.length; i++) if (losses[i] < losses[best]) best = i;
  return { ridge: ridges[best], losses };
}
