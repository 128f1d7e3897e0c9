import * as tf from '@tensorflow/tfjs-core';

/** 1 where class c belongs to task k: [classes, tasks]. */
function taskIndicator(taskSizes: readonly number[]): tf.Tensor2D {
  const classes = taskSizes.reduce((a, b) => a + b, 0);
  const m = new Float32Array(classes * taskSizes.length);
  let c = 0;
  taskSizes.forEach((n, k) => {
    for (let i = 0; i < n; i++, c++) m[c * taskSizes.length + k] = 1;
  });
  return tf.tensor2d(m, [classes, taskSizes.length]);
}

export const LOGIT_NORM_EPS = 1e-7;

/**
 * SLCA's logit normalisation (docs/method.md §10.2): for each sample, the L2 norm of each task's slice of
 * the logits (+1e-7), averaged over tasks; logits are divided by that mean norm and by τ. Differentiable.
 */
export function logitNormalize(logits: tf.Tensor2D, taskSizes: readonly number[], tau: number): tf.Tensor2D {
  return tf.tidy(() => {
    const perTask = tf.add(tf.sqrt(tf.matMul(tf.square(logits), taskIndicator(taskSizes))), LOGIT_NORM_EPS);
    const meanNorm = tf.mean(perTask, -1, true);
    return tf.div(logits, tf.mul(meanNorm, tau)) as tf.Tensor2D;
  });
}
