import type { Mt19937 } from '@slca/data';
import { truncNormal } from '../weights/vit-weights';

/** One task's linear classifier: weight [dim, classes] (engine layout) and bias [classes]. */
export interface Head {
  classes: number;
  weight: Float32Array;
  bias: Float32Array;
}

/** A new head as the reference initialises it: weight trunc-normal (std 0.02), bias 0. */
export function newHead(dim: number, classes: number, rng: Mt19937): Head {
  const weight = new Float32Array(dim * classes);
  for (let i = 0; i < weight.length; i++) weight[i] = truncNormal(rng, 0.02);
  return { classes, weight, bias: new Float32Array(classes) };
}

export function cloneHeads(heads: readonly Head[]): Head[] {
  return heads.map((h) => ({ classes: h.classes, weight: h.weight.slice(), bias: h.bias.slice() }));
}

/** All heads side by side: logits over every seen class in task order = features · W + b. */
export function concatHeads(
  heads: readonly Head[],
  dim: number,
): { weight: Float32Array; bias: Float32Array; classes: number } {
  const classes = heads.reduce((n, h) => n + h.classes, 0);
  const weight = new Float32Array(dim * classes);
  const bias = new Float32Array(classes);
  let col = 0;
  for (const h of heads) {
    if (h.weight.length !== dim * h.classes)
      throw new Error(`head with ${h.classes} classes does not match dim ${dim}`);
    for (let r = 0; r < dim; r++)
      weight.set(h.weight.subarray(r * h.classes, (r + 1) * h.classes), r * classes + col);
    bias.set(h.bias, col);
    col += h.classes;
  }
  return { weight, bias, classes };
}

/** Inverse of concatHeads for the given per-task class counts. */
export function splitHeads(
  weight: Float32Array,
  bias: Float32Array,
  dim: number,
  sizes: readonly number[],
): Head[] {
  const classes = sizes.reduce((a, b) => a + b, 0);
  let col = 0;
  return sizes.map((n) => {
    const w = new Float32Array(dim * n);
    for (let r = 0; r < dim; r++) w.set(weight.subarray(r * classes + col, r * classes + col + n), r * n);
    const head = { classes: n, weight: w, bias: bias.slice(col, col + n) };
    col += n;
    return head;
  });
}
