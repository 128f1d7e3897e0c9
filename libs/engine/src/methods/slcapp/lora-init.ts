/**
 * SLCA++'s LoRA initialisation (reference GengDavid/SLCA `convs/vits.py`, `LoraAttention.init_lora`): A is
 * the top-r right singular vectors of the frozen qkv weight. The reference's weight is PyTorch's [out, in];
 * the engine stores W [in, out], so those vectors are the top-r eigenvectors of W·Wᵀ [in, in], here the
 * columns of A [in, r].
 *
 * Computed in float64 by subspace iteration with Rayleigh–Ritz on a block of r + 12 vectors (the whole space
 * when it is smaller), each Ritz step solved by cyclic Jacobi, until every wanted pair has a residual
 * ‖Mv − λv‖ ≤ 1e-11·λ₁. A singular vector's sign is arbitrary (LAPACK, which torch uses, fixes it its own
 * way); here the component of largest magnitude is made positive. The sign does not change training: the
 * loss, its gradients and SGD with weight decay are symmetric under flipping a column of A with the matching
 * row of B, and B starts at 0.
 */
export function topRightSingularVectors(
  weight: Float32Array | Float64Array,
  inDim: number,
  outDim: number,
  rank: number,
): { vectors: Float64Array; values: Float64Array } {
  if (weight.length !== inDim * outDim)
    throw new Error(`lora init: weight has ${weight.length} values, expected ${inDim}×${outDim}`);
  if (!Number.isInteger(rank) || rank < 1 || rank > inDim)
    throw new Error(`lora init: rank must be an integer in [1, ${inDim}], got ${rank}`);
  const d = inDim;
  // M = W·Wᵀ (d × d), symmetric positive semi-definite.
  const m = new Float64Array(d * d);
  for (let i = 0; i < d; i++)
    for (let j = i; j < d; j++) {
      let s = 0;
      const ri = i * outDim;
      const rj = j * outDim;
      for (let o = 0; o < outDim; o++) s += weight[ri + o] * weight[rj + o];
      m[i * d + j] = s;
      m[j * d + i] = s;
    }
  const k = Math.min(d, rank + 12);
  // Start: the columns of M with the largest diagonal (deterministic; any start converges).
  const byDiagonal = [...Array(d).keys()].sort((a, b) => m[b * d + b] - m[a * d + a] || a - b);
  let q = new Float64Array(d * k); // column-major: column c at c*d
  for (let c = 0; c < k; c++) {
    if (k === d) q[c * d + c] = 1;
    else for (let i = 0; i < d; i++) q[c * d + i] = m[i * d + byDiagonal[c]] + (i === byDiagonal[c] ? 1 : 0);
  }
  orthonormalise(q, d, k);
  const mq = new Float64Array(d * k);
  let values: Float64Array = new Float64Array(k);
  for (let iter = 0; iter < 5000; iter++) {
    multiply(m, q, mq, d, k);
    // Rayleigh–Ritz: T = Qᵀ M Q, T = V Λ Vᵀ, Q ← Q V (sorted by descending λ).
    const t = new Float64Array(k * k);
    for (let a = 0; a < k; a++)
      for (let b = a; b < k; b++) {
        let s = 0;
        for (let i = 0; i < d; i++) s += q[a * d + i] * mq[b * d + i];
        t[a * k + b] = s;
        t[b * k + a] = s;
      }
    const { vectors: v, values: lambda } = jacobiEigen(t, k);
    const ritz = new Float64Array(d * k);
    const mRitz = new Float64Array(d * k);
    for (let c = 0; c < k; c++)
      for (let a = 0; a < k; a++) {
        const w = v[a * k + c];
        if (w === 0) continue;
        for (let i = 0; i < d; i++) {
          ritz[c * d + i] += w * q[a * d + i];
          mRitz[c * d + i] += w * mq[a * d + i];
        }
      }
    values = lambda;
    let converged = true;
    const tol = 1e-11 * Math.max(lambda[0], Number.MIN_VALUE);
    for (let c = 0; c < rank && converged; c++) {
      let r = 0;
      for (let i = 0; i < d; i++) r += (mRitz[c * d + i] - lambda[c] * ritz[c * d + i]) ** 2;
      if (Math.sqrt(r) > tol) converged = false;
    }
    if (converged || k === d) {
      const vectors = new Float64Array(d * rank); // row-major [d, rank]
      for (let c = 0; c < rank; c++) {
        let big = 0;
        for (let i = 0; i < d; i++) if (Math.abs(ritz[c * d + i]) > Math.abs(ritz[c * d + big])) big = i;
        const sign = ritz[c * d + big] < 0 ? -1 : 1;
        for (let i = 0; i < d; i++) vectors[i * rank + c] = sign * ritz[c * d + i];
      }
      return {
        vectors,
        values: Float64Array.from(values.subarray(0, rank), (l) => Math.sqrt(Math.max(l, 0))),
      };
    }
    // Next block: M · (Ritz vectors), orthonormalised.
    q = mRitz;
    orthonormalise(q, d, k);
  }
  throw new Error(`lora init: the top ${rank} singular vectors did not converge in 5000 iterations`);
}

function multiply(m: Float64Array, q: Float64Array, out: Float64Array, d: number, k: number): void {
  out.fill(0);
  for (let c = 0; c < k; c++)
    for (let i = 0; i < d; i++) {
      let s = 0;
      const row = i * d;
      for (let j = 0; j < d; j++) s += m[row + j] * q[c * d + j];
      out[c * d + i] = s;
    }
}

/** Modified Gram–Schmidt, twice, on column-major columns. */
function orthonormalise(q: Float64Array, d: number, k: number): void {
  for (let pass = 0; pass < 2; pass++)
    for (let c = 0; c < k; c++) {
      for (let p = 0; p < c; p++) {
        let dot = 0;
        for (let i = 0; i < d; i++) dot += q[p * d + i] * q[c * d + i];
        for (let i = 0; i < d; i++) q[c * d + i] -= dot * q[p * d + i];
      }
      let norm = 0;
      for (let i = 0; i < d; i++) norm += q[c * d + i] ** 2;
      norm = Math.sqrt(norm);
      if (norm === 0) throw new Error('lora init: the weight is rank-deficient beyond the iteration block');
      for (let i = 0; i < d; i++) q[c * d + i] /= norm;
    }
}

/** Eigen-decomposition of a symmetric n×n matrix (row-major) by cyclic Jacobi; descending eigenvalues. */
export function jacobiEigen(
  matrix: Float64Array,
  n: number,
): { values: Float64Array; vectors: Float64Array } {
  const a = matrix.slice();
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += a[i * n + i] ** 2;
      for (let j = i + 1; j < n; j++) off += a[i * n + j] ** 2;
    }
    if (off <= 1e-30 * Math.max(diag, Number.MIN_VALUE)) break;
    for (let p = 0; p < n; p++)
      for (let r = p + 1; r < n; r++) {
        const apr = a[p * n + r];
        if (apr === 0) continue;
        const theta = (a[r * n + r] - a[p * n + p]) / (2 * apr);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let i = 0; i < n; i++) {
          const aip = a[i * n + p];
          const air = a[i * n + r];
          a[i * n + p] = c * aip - s * air;
          a[i * n + r] = s * aip + c * air;
        }
        for (let i = 0; i < n; i++) {
          const api = a[p * n + i];
          const ari = a[r * n + i];
          a[p * n + i] = c * api - s * ari;
          a[r * n + i] = s * api + c * ari;
        }
        for (let i = 0; i < n; i++) {
          const vip = v[i * n + p];
          const vir = v[i * n + r];
          v[i * n + p] = c * vip - s * vir;
          v[i * n + r] = s * vip + c * vir;
        }
      }
  }
  const order = [...Array(n).keys()].sort((x, y) => a[y * n + y] - a[x * n + x] || x - y);
  const values = Float64Array.from(order, (i) => a[i * n + i]);
  const vectors = new Float64Array(n * n);
  order.forEach((src, c) => {
    for (let i = 0; i < n; i++) vectors[i * n + c] = v[i * n + src];
  });
  return { values, vectors };
}
