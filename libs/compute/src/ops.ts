import * as tf from '@tensorflow/tfjs-core';
// The union package registers every kernel gradient with tfjs-core, in CommonJS (bundles) and ESM alike; the
// deep import of tfjs-core's own register_all_gradients is ESM-only and breaks a CommonJS bundle.
import '@tensorflow/tfjs';
import { stridedMatMul, stridedMatMulAvailable } from './device/strided-matmul';

/*
 * Differentiable building blocks for the ViT, each with a hand-written gradient chosen for the wasm
 * backend (docs/ENVIRONMENT.md):
 * - tfjs's matMul gradient multiplies with transposeA/transposeB, which wasm runs ~20× slower than a plain
 *   matMul: these gradients transpose explicitly and then multiply plainly (the same numbers).
 * - wasm's batched matMul is a scalar loop and splitting heads copies whole tensors: attention runs on the
 *   engine's own strided SIMD kernels (device/strided-matmul.ts) that read q, k, v in place.
 * - LayerNorm and GELU gradients in closed form instead of autodiff through moments/erf, and bias gradients
 *   as a ones-vector product instead of a column reduction.
 * Every function has a plain-tfjs path for the other backends; the specs compare the two.
 */

function swapLastTwo(rank: number): number[] {
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return perm;
}

function transposeLast(x: tf.Tensor): tf.Tensor {
  return tf.transpose(x, swapLastTwo(x.rank));
}

/** a·bᵀ for a [m,k], b [n,k]: a strided SIMD kernel on wasm (no transpose), else transpose + matMul. */
function matmulNT(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const [m, k] = a.shape;
  const n = b.shape[0];
  if (k % 4 === 0 && stridedMatMulAvailable()) {
    const view: [number, number, number, number, number] = [0, 0, 0, k, 1];
    return stridedMatMul(
      [a, b],
      [m, n],
      [
        {
          form: 'nt',
          a: 0,
          b: 1,
          dims: [1, 1, m, n, k],
          aView: view,
          bView: view,
          cView: [0, 0, 0, n, 1],
          alpha: 1,
        },
      ],
    ) as tf.Tensor2D;
  }
  return tf.matMul(a, transposeLast(b) as tf.Tensor2D);
}

/** aᵀ·b for a [k,m], b [k,n]: a strided SIMD kernel on wasm (no transpose), else transpose + matMul. */
function matmulTN(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const [k, m] = a.shape;
  const n = b.shape[1];
  if (n % 4 === 0 && stridedMatMulAvailable()) {
    return stridedMatMul(
      [a, b],
      [m, n],
      [
        {
          form: 'nn',
          a: 0,
          b: 1,
          dims: [1, 1, m, n, k],
          aView: [0, 0, 0, 1, m],
          bView: [0, 0, 0, n, 1],
          cView: [0, 0, 0, n, 1],
          alpha: 1,
        },
      ],
    ) as tf.Tensor2D;
  }
  return tf.matMul(transposeLast(a) as tf.Tensor2D, b);
}

const plainMatMul = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [sa, sb] = saved;
      const g = dy as tf.Tensor2D;
      if (g.rank === 2) return [matmulNT(g, sb as tf.Tensor2D), matmulTN(sa as tf.Tensor2D, g)];
      return [tf.matMul(g, transposeLast(sb) as tf.Tensor2D), tf.matMul(transposeLast(sa) as tf.Tensor2D, g)];
    },
  };
});

/** a·b for 2-D [m,k]·[k,n] or batched 3-D [b,m,k]·[b,k,n], with a wasm-friendly gradient. */
export function matmul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (a.rank !== b.rank || (a.rank !== 2 && a.rank !== 3)) {
    throw new Error(`matmul expects two rank-2 or two rank-3 tensors, got ranks ${a.rank} and ${b.rank}`);
  }
  return plainMatMul(a, b) as tf.Tensor;
}

/** Σ over rows of a 2-D tensor, as ones[1,rows]·m: a plain matMul, where wasm's axis-0 sum transposes first. */
function columnSum(m: tf.Tensor2D): tf.Tensor1D {
  const [rows, cols] = m.shape;
  return tf.reshape(tf.matMul(tf.ones([1, rows]), m), [cols]);
}

const linearWithBias = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, w, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
  save([x, w]);
  return {
    // Bias fused into the matMul (one kernel on wasm: XNNPACK adds it while writing the output).
    value: tf.fused.matMul({ a: x, b: w, bias: b }),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [sx, sw] = saved as tf.Tensor2D[];
      const g = dy as tf.Tensor2D;
      return [matmulNT(g, sw), matmulTN(sx, g), columnSum(g)];
    },
  };
});

/** x·W + b over the last axis, for x of any rank ≥ 2; W is stored [in, out]. */
export function linear(x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor): tf.Tensor {
  const inDim = x.shape[x.rank - 1];
  const outDim = w.shape[1] as number;
  const flat = x.rank === 2 ? x : tf.reshape(x, [-1, inDim]);
  const y = b ? (linearWithBias(flat, w, b) as tf.Tensor) : matmul(flat, w);
  return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), outDim]);
}

/**
 * `linear` with W and b held constant: the same forward, and a backward that computes only dx (the same
 * x-gradient as `linear`'s), not the weight and bias gradients of a frozen layer. For frozen backbones
 * whose inputs still need gradients (prompts in front of the frozen ViT).
 */
export function linearFrozen(x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor): tf.Tensor {
  const inDim = x.shape[x.rank - 1];
  const outDim = w.shape[1] as number;
  const flat = x.rank === 2 ? x : tf.reshape(x, [-1, inDim]);
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input] = args as [tf.Tensor2D];
    return {
      value: b
        ? tf.fused.matMul({ a: input, b: w as tf.Tensor2D, bias: b })
        : tf.matMul(input, w as tf.Tensor2D),
      gradFunc: (dy: tf.Tensor | tf.Tensor[]) => [matmulNT(dy as tf.Tensor2D, w as tf.Tensor2D)],
    };
  });
  const y = f(flat) as tf.Tensor;
  return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), outDim]);
}

/** LayerNorm by autodiff through tf.moments: the reference the closed-form gradient is checked against. */
export function layerNormReference(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  const normalised = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
  return tf.add(tf.mul(normalised, gamma), beta);
}

/**
 * LayerNorm over the last axis with biased variance, as PyTorch computes it. Gradient in closed form:
 * with x̂ the normalised input, r = 1/σ and g = dy·γ: dx = r·(g − mean(g) − x̂·mean(g·x̂)),
 * dγ = Σ dy·x̂, dβ = Σ dy (sums over every row).
 */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  const dim = x.shape[x.rank - 1];
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, g0, b0, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const centred = tf.sub(input, tf.mean(input, -1, true));
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centred), -1, true), eps));
    const xhat = tf.mul(centred, rstd);
    save([xhat, rstd, g0]);
    return {
      value: tf.add(tf.mul(xhat, g0), b0),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sxhat, srstd, sgamma] = saved;
        const d = dy as tf.Tensor;
        const g = tf.mul(d, sgamma);
        const m1 = tf.mean(g, -1, true);
        const m2 = tf.mean(tf.mul(g, sxhat), -1, true);
        const dx = tf.mul(srstd, tf.sub(tf.sub(g, m1), tf.mul(sxhat, m2)));
        const rows = d.size / dim;
        const dgamma = columnSum(tf.reshape(tf.mul(d, sxhat), [rows, dim]) as tf.Tensor2D);
        const dbeta = columnSum(tf.reshape(d, [rows, dim]) as tf.Tensor2D);
        return [dx, tf.reshape(dgamma, sgamma.shape), tf.reshape(dbeta, sgamma.shape)];
      },
    };
  });
  return f(x, gamma, beta) as tf.Tensor;
}

/** Exact GELU by autodiff through erf: the reference for the closed-form gradient. */
export function geluReference(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
}

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

const geluCustom = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  const cdf = tf.mul(tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1), 0.5);
  save([x, cdf]);
  return {
    value: tf.mul(x, cdf),
    // d/dx x·Φ(x) = Φ(x) + x·φ(x), φ(x) = exp(−x²/2)/√(2π)
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [sx, scdf] = saved;
      const pdf = tf.mul(tf.exp(tf.mul(tf.square(sx), -0.5)), INV_SQRT_2PI);
      return [tf.mul(dy as tf.Tensor, tf.add(scdf, tf.mul(sx, pdf)))];
    },
  };
});

/** Exact GELU, 0.5·x·(1 + erf(x/√2)), as torch.nn.GELU() defaults to. */
export function gelu(x: tf.Tensor): tf.Tensor {
  return geluCustom(x) as tf.Tensor;
}

/** Mean cross-entropy of integer labels against logits [B, C]. */
export function crossEntropy(logits: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  const logp = tf.logSoftmax(logits as tf.Tensor2D);
  const onehot = tf.oneHot(tf.cast(labels, 'int32') as tf.Tensor1D, logits.shape[1] ?? 0);
  return tf.neg(tf.mean(tf.sum(tf.mul(logp, onehot), -1))) as tf.Scalar;
}

/**
 * Contrastive loss over a batch in which rows sharing an id are views of the same image (SimCLR's NT-Xent
 * with two views per image; the supervised-contrastive form with more). Features are L2-normalised,
 * s(i, a) = zᵢ·zₐ / temperature, and for every anchor i with at least one positive P(i) = {p ≠ i : id_p = id_i}
 *
 *   ℓᵢ = −1/|P(i)| · Σ_{p ∈ P(i)} log( exp s(i, p) / Σ_{a ≠ i} exp s(i, a) ),
 *
 * averaged over those anchors: every other row of the batch is a negative. Anchors without a positive add
 * nothing; a batch with none at all is refused (it would carry no signal).
 */
export function contrastiveLoss(features: tf.Tensor, ids: Int32Array, temperature: number): tf.Scalar {
  const n = ids.length;
  if (!(temperature > 0))
    throw new RangeError(`contrastiveLoss: temperature must be > 0, got ${temperature}`);
  if (features.shape[0] !== n)
    throw new RangeError(`contrastiveLoss: ${features.shape[0]} feature rows but ${n} ids`);
  const positives = new Float32Array(n * n);
  const weight = new Float32Array(n);
  let anchors = 0;
  for (let i = 0; i < n; i++) {
    let count = 0;
    for (let j = 0; j < n; j++) if (j !== i && ids[j] === ids[i]) count++;
    if (count === 0) continue;
    anchors++;
    for (let j = 0; j < n; j++) if (j !== i && ids[j] === ids[i]) positives[i * n + j] = 1 / count;
    weight[i] = 1;
  }
  if (anchors === 0)
    throw new RangeError('contrastiveLoss: no row shares its id with another (no positive pair)');
  const self = tf.mul(tf.eye(n), 1e9);
  const z = tf.div(features, tf.norm(features, 'euclidean', -1, true));
  const sim = tf.sub(tf.div(tf.matMul(z, z, false, true), temperature), self);
  const logProb = tf.sub(sim, tf.logSumExp(sim, 1, true));
  // positives is 0 on the diagonal, so the −1e9 there never enters the sum
  const perAnchor = tf.sum(tf.mul(logProb, tf.tensor2d(positives, [n, n])), 1);
  return tf.div(tf.neg(tf.sum(tf.mul(perAnchor, tf.tensor1d(weight)))), anchors) as tf.Scalar;
}

/* ---------------------------------------------------------------------------------------------------------
 * Multi-head attention. Layouts are token-major, as the projections produce them: qkv [b, t, 3·dim] holds
 * q | k | v, each [heads, dh] per token; the output [b, t, dim] is the heads concatenated per token.
 */

function splitHeads(z: tf.Tensor, b: number, t: number, heads: number, dh: number): tf.Tensor {
  return tf.reshape(tf.transpose(tf.reshape(z, [b, t, heads, dh]), [0, 2, 1, 3]), [b * heads, t, dh]);
}

function attendReference(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  b: number,
  tq: number,
  t: number,
  heads: number,
) {
  const dim = q.shape[q.rank - 1];
  const dh = dim / heads;
  const qh = splitHeads(tf.mul(q, 1 / Math.sqrt(dh)), b, tq, heads, dh);
  const kt = transposeLast(splitHeads(k, b, t, heads, dh));
  const weights = tf.softmax(matmul(qh, kt));
  const mixed = tf.reshape(matmul(weights, splitHeads(v, b, t, heads, dh)), [b, heads, tq, dh]);
  return tf.reshape(tf.transpose(mixed, [0, 2, 1, 3]), [b, tq, dim]);
}

/**
 * Prefix attention (DualPrompt's prefix tuning): qkv [b, t, 3·dim] with `key` and `value` [b, l, dim]
 * placed in front of the tokens' own keys and values (heads contiguous, as qkv's), plain tfjs ops.
 */
export function prefixAttention(qkv: tf.Tensor, key: tf.Tensor, value: tf.Tensor, heads: number): tf.Tensor {
  const [b, t] = qkv.shape;
  const l = key.shape[1] as number;
  const [q, k, v] = tf.split(qkv, 3, -1);
  return attendReference(q, tf.concat([key, k], 1), tf.concat([value, v], 1), b, t, l + t, heads);
}

/** Self-attention of qkv [b, t, 3·dim] with plain tfjs ops (autodiff): the reference and the fallback. */
export function selfAttentionReference(qkv: tf.Tensor, heads: number): tf.Tensor {
  const [b, t] = qkv.shape;
  const [q, k, v] = tf.split(qkv, 3, -1);
  return attendReference(q, k, v, b, t, t, heads);
}

/** CLS-query attention with plain tfjs ops: q [b, dim] against kv [b, t, 2·dim] → [b, dim]. */
export function clsAttentionReference(q: tf.Tensor, kv: tf.Tensor, heads: number): tf.Tensor {
  const [b, t] = kv.shape;
  const dim = q.shape[q.rank - 1];
  const [k, v] = tf.split(kv, 2, -1);
  return tf.reshape(attendReference(tf.reshape(q, [b, 1, dim]), k, v, b, 1, t, heads), [b, dim]);
}

/** dS = P ⊙ (dP − Σⱼ dP ⊙ P): the softmax backward along the last axis. */
function softmaxBackward(p: tf.Tensor, dp: tf.Tensor): tf.Tensor {
  return tf.mul(p, tf.sub(dp, tf.sum(tf.mul(dp, p), -1, true)));
}

function stridedAttentionUsable(dh: number): boolean {
  return dh % 4 === 0 && stridedMatMulAvailable();
}

/**
 * Attention of `tq` queries against `t` keys/values, all read in place by strided views. `q` is at column
 * qOff of rows of width qRow in the q tensor; k and v at kOff/vOff in rows of width kvRow of the kv tensor
 * (the same tensor for self-attention). Returns [b, tq, dim] and its gradient function.
 */
interface AttentionGeometry {
  b: number;
  tq: number;
  t: number;
  heads: number;
  dh: number;
  qRow: number;
  kvRow: number;
  qOff: number;
  kOff: number;
  vOff: number;
}

function scoresOp(g: AttentionGeometry, qIn: number, kvIn: number, scale: number) {
  const { b, tq, t, heads, dh } = g;
  return {
    form: 'nt' as const,
    a: qIn,
    b: kvIn,
    dims: [b, heads, tq, t, dh] as [number, number, number, number, number],
    aView: [g.qOff, tq * g.qRow, dh, g.qRow, 1] as [number, number, number, number, number],
    bView: [g.kOff, t * g.kvRow, dh, g.kvRow, 1] as [number, number, number, number, number],
    cView: [0, heads * tq * t, tq * t, t, 1] as [number, number, number, number, number],
    alpha: scale,
  };
}

type V5 = [number, number, number, number, number];

function attentionForward(g: AttentionGeometry, qT: tf.Tensor, kvT: tf.Tensor) {
  const { b, tq, t, heads, dh } = g;
  const dim = heads * dh;
  const scale = 1 / Math.sqrt(dh);
  const scores = stridedMatMul([qT, kvT], [b, heads, tq, t], [scoresOp(g, 0, 1, scale)]);
  const p = tf.softmax(scores);
  const out = stridedMatMul(
    [p, kvT],
    [b, tq, dim],
    [
      {
        form: 'nn',
        a: 0,
        b: 1,
        dims: [b, heads, tq, dh, t],
        aView: [0, heads * tq * t, tq * t, t, 1],
        bView: [g.vOff, t * g.kvRow, dh, g.kvRow, 1],
        cView: [0, tq * dim, dh, dim, 1],
        alpha: 1,
      },
    ],
  );
  return { p, out };
}

/** Gradients of attention: [dq-part ops, dk/dv-part ops] written by strided kernels. */
function attentionBackward(g: AttentionGeometry, qT: tf.Tensor, kvT: tf.Tensor, p: tf.Tensor, dy: tf.Tensor) {
  const { b, tq, t, heads, dh } = g;
  const dim = heads * dh;
  const scale = 1 / Math.sqrt(dh);
  const dyView: V5 = [0, tq * dim, dh, dim, 1];
  const dp = stridedMatMul(
    [dy, kvT],
    [b, heads, tq, t],
    [
      {
        form: 'nt',
        a: 0,
        b: 1,
        dims: [b, heads, tq, t, dh],
        aView: dyView,
        bView: [g.vOff, t * g.kvRow, dh, g.kvRow, 1],
        cView: [0, heads * tq * t, tq * t, t, 1],
        alpha: 1,
      },
    ],
  );
  const ds = softmaxBackward(p, dp);
  const sView: V5 = [0, heads * tq * t, tq * t, t, 1];
  const sTransposed: V5 = [0, heads * tq * t, tq * t, 1, t];
  // inputs: 0 = dS, 1 = q tensor, 2 = kv tensor, 3 = P, 4 = dy
  const dq = {
    form: 'nn' as const,
    a: 0,
    b: 2,
    dims: [b, heads, tq, dh, t] as V5,
    aView: sView,
    bView: [g.kOff, t * g.kvRow, dh, g.kvRow, 1] as V5,
    cView: [g.qOff, tq * g.qRow, dh, g.qRow, 1] as V5,
    alpha: scale,
  };
  const dk = {
    form: 'nn' as const,
    a: 0,
    b: 1,
    dims: [b, heads, t, dh, tq] as V5,
    aView: sTransposed,
    bView: [g.qOff, tq * g.qRow, dh, g.qRow, 1] as V5,
    cView: [g.kOff, t * g.kvRow, dh, g.kvRow, 1] as V5,
    alpha: scale,
  };
  const dv = {
    form: 'nn' as const,
    a: 3,
    b: 4,
    dims: [b, heads, t, dh, tq] as V5,
    aView: sTransposed,
    bView: dyView,
    cView: [g.vOff, t * g.kvRow, dh, g.kvRow, 1] as V5,
    alpha: 1,
  };
  return { inputs: [ds, qT, kvT, p, dy], dq, dk, dv };
}

/**
 * Multi-head self-attention (no projections): qkv [b, t, 3·dim] → [b, t, dim], softmax(q·kᵀ/√dh)·v per head.
 * The gradient with respect to qkv is written in one tensor by three strided products.
 */
export function selfAttention(qkv: tf.Tensor, heads: number): tf.Tensor {
  const [b, t, width] = qkv.shape;
  const dim = width / 3;
  const dh = dim / heads;
  if (!stridedAttentionUsable(dh)) return selfAttentionReference(qkv, heads);
  const g: AttentionGeometry = {
    b,
    tq: t,
    t,
    heads,
    dh,
    qRow: width,
    kvRow: width,
    qOff: 0,
    kOff: dim,
    vOff: 2 * dim,
  };
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const { p, out } = attentionForward(g, x, x);
    save([x, p]);
    return {
      value: out,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sx, sp] = saved;
        const { inputs, dq, dk, dv } = attentionBackward(g, sx, sx, sp, dy as tf.Tensor);
        // q, k and v all live in qkv: the three products fill its three column blocks.
        return [stridedMatMul(inputs, [b, t, width], [dq, dk, dv])];
      },
    };
  });
  return f(qkv) as tf.Tensor;
}

/**
 * Attention of the CLS query alone: q [b, dim] (the CLS token's query) against kv [b, t, 2·dim] (keys |
 * values of every token) → [b, dim]. What the last block needs when only the CLS token is read out.
 */
export function clsAttention(q: tf.Tensor, kv: tf.Tensor, heads: number): tf.Tensor {
  const [b, t, width] = kv.shape;
  const dim = width / 2;
  const dh = dim / heads;
  if (!stridedAttentionUsable(dh)) return clsAttentionReference(q, kv, heads);
  const g: AttentionGeometry = {
    b,
    tq: 1,
    t,
    heads,
    dh,
    qRow: dim,
    kvRow: width,
    qOff: 0,
    kOff: 0,
    vOff: dim,
  };
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [qIn, kvIn, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const { p, out } = attentionForward(g, qIn, kvIn);
    save([qIn, kvIn, p]);
    return {
      value: tf.reshape(out, [b, dim]),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sq, skv, sp] = saved;
        const { inputs, dq, dk, dv } = attentionBackward(g, sq, skv, sp, dy as tf.Tensor);
        return [stridedMatMul(inputs, [b, dim], [dq]), stridedMatMul(inputs, [b, t, width], [dk, dv])];
      },
    };
  });
  return f(q, kv) as tf.Tensor;
}

/** log(1e-4): the reverse cross-entropy's log of a clamped one-hot entry off the label. */
const RCE_LOG_FLOOR = Math.log(1e-4);
/** The probabilities' floor in the reverse term, as the SLCA++ reference clamps them. */
const RCE_PROB_FLOOR = 1e-7;

/**
 * Symmetric cross-entropy (Wang et al., ICCV 2019), SLCA++'s stage-1 loss: a·CE + b·RCE, each the mean
 * over the batch, with RCE = −Σₖ clamp(pₖ, 1e-7, 1)·log clamp(onehotₖ, 1e-4, 1) as the reference computes
 * it. Hand-written gradient with respect to the logits.
 */
export function symmetricCrossEntropy(logits: tf.Tensor, labels: tf.Tensor, a: number, b: number): tf.Scalar {
  const classes = logits.shape[1] ?? 0;
  const onehot = tf.cast(tf.oneHot(tf.cast(labels, 'int32') as tf.Tensor1D, classes), 'float32');
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [z, y, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    const rows = z.shape[0];
    const p = tf.softmax(z);
    const ce = tf.neg(tf.sum(tf.mul(tf.logSoftmax(z), y)));
    // −Σₖ p̃ₖ·log clamp(yₖ, 1e-4, 1) = −log(1e-4)·Σ_{k≠y} p̃ₖ, with p̃ = clamp(p, 1e-7, 1).
    const rce = tf.mul(-RCE_LOG_FLOOR, tf.sum(tf.mul(tf.clipByValue(p, RCE_PROB_FLOOR, 1), tf.sub(1, y))));
    save([p, y]);
    return {
      value: tf.div(tf.add(tf.mul(a, ce), tf.mul(b, rce)), rows) as tf.Scalar,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sp, sy] = saved as tf.Tensor2D[];
        // CE: (p − y)/B. RCE: g = ∂r/∂p = −log(1e-4)·[k≠y]·[p ≥ 1e-7] (the clamp passes no gradient below
        // its floor), and ∂r/∂z_j = p_j·(g_j − Σₖ gₖ pₖ), over B.
        const g = tf.mul(
          -RCE_LOG_FLOOR,
          tf.mul(tf.sub(1, sy), tf.cast(tf.greaterEqual(sp, RCE_PROB_FLOOR), 'float32')),
        );
        const dr = tf.mul(sp, tf.sub(g, tf.sum(tf.mul(g, sp), -1, true)));
        const dz = tf.div(tf.add(tf.mul(a, tf.sub(sp, sy)), tf.mul(b, dr)), rows);
        return [tf.mul(dz, dy as tf.Scalar), tf.zerosLike(sy)];
      },
    };
  });
  return f(logits, onehot) as tf.Scalar;
}

/**
 * A weight with a low-rank (LoRA) update, W + s·A·B for W [in, out], A [in, r], B [r, out] (the engine's
 * [in, out] layout: the reference's B·A on [out, in] weights, transposed). Hand-written gradient.
 */
export function lowRankWeight(w: tf.Tensor, a: tf.Tensor, b: tf.Tensor, scale: number): tf.Tensor2D {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [sw, sa, sb, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    save([sa, sb]);
    return {
      value: tf.add(sw, tf.mul(scale, tf.matMul(sa, sb))),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [ka, kb] = saved as tf.Tensor2D[];
        const g = dy as tf.Tensor2D;
        // ∂W = dy, ∂A = s·dy·Bᵀ, ∂B = s·Aᵀ·dy (explicit transposes, then plain matMuls).
        return [g, tf.mul(scale, matmulNT(g, kb)), tf.mul(scale, matmulTN(ka, g))];
      },
    };
  });
  return f(w, a, b) as tf.Tensor2D;
}
