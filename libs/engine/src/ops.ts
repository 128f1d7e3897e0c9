import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';

/*
 * Differentiable building blocks for the ViT. The wasm backend runs matMul with transposeA/transposeB about
 * 20x slower than a plain matMul, and tfjs's own matMul gradient always uses those flags. These gradients
 * transpose explicitly and then multiply plainly: the same numbers, a fraction of the time.
 */

function swapLastTwo(rank: number): number[] {
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return perm;
}

function transposeLast(x: tf.Tensor): tf.Tensor {
  return tf.transpose(x, swapLastTwo(x.rank));
}

const plainMatMul = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [sa, sb] = saved;
      const g = dy as tf.Tensor2D;
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

/** x·W + b over the last axis, for x of any rank ≥ 2; W is stored [in, out]. */
export function linear(x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor): tf.Tensor {
  const inDim = x.shape[x.rank - 1];
  const outDim = w.shape[1] as number;
  const flat = x.rank === 2 ? x : tf.reshape(x, [-1, inDim]);
  let y = matmul(flat, w);
  if (b) y = tf.add(y, b);
  return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), outDim]);
}

/** LayerNorm over the last axis with biased variance, as PyTorch computes it. */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  const normalised = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
  return tf.add(tf.mul(normalised, gamma), beta);
}

/** Exact GELU, 0.5·x·(1 + erf(x/√2)), as torch.nn.GELU() defaults to. */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
}

/** Mean cross-entropy of integer labels against logits [B, C]. */
export function crossEntropy(logits: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  const logp = tf.logSoftmax(logits as tf.Tensor2D);
  const onehot = tf.oneHot(tf.cast(labels, 'int32') as tf.Tensor1D, logits.shape[1] ?? 0);
  return tf.neg(tf.mean(tf.sum(tf.mul(logp, onehot), -1))) as tf.Scalar;
}
