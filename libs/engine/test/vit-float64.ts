import { DEFAULT_NORM_EPS, type VitArch } from '@slca/compute';

/**
 * An independent ViT forward for golden tests: plain loops in float64 over the engine's layout (linear
 * weights [in, out], qkv columns q | k | v with heads contiguous), one image at a time, no TensorFlow.js.
 * Prompt tokens (prompt tuning) go after the CLS token with the CLS token's position embedding; prefixes
 * (prefix tuning) are extra keys and values of a block's attention, in the attention's input space.
 */
export type Matrix = number[][];

export interface ReferenceOptions {
  finalNormEps: number;
  /** Per image: prompt tokens [T][dim] after the CLS token. */
  promptTokens?: (image: number) => Matrix;
  /** Per block and image: prefix keys and values [L][dim] in front of the block's own. */
  prefix?: (block: number, image: number) => { key: Matrix; value: Matrix } | null;
  /** 'cls' (default) or the mean of the prompt tokens' outputs after the final norm. */
  readout?: 'cls' | 'prompt-mean';
}

type Params = Record<string, ArrayLike<number>>;

function linear(x: Matrix, w: ArrayLike<number>, b: ArrayLike<number>, outDim: number): Matrix {
  const inDim = x[0].length;
  return x.map((row) =>
    Array.from({ length: outDim }, (_, o) => {
      let s = b[o];
      for (let i = 0; i < inDim; i++) s += row[i] * w[i * outDim + o];
      return s;
    }),
  );
}

function layerNorm(x: Matrix, g: ArrayLike<number>, b: ArrayLike<number>, eps: number): Matrix {
  return x.map((row) => {
    const mean = row.reduce((a, v) => a + v, 0) / row.length;
    const variance = row.reduce((a, v) => a + (v - mean) ** 2, 0) / row.length;
    return row.map((v, i) => ((v - mean) / Math.sqrt(variance + eps)) * g[i] + b[i]);
  });
}

/** erf by its Maclaurin series (|x| < 3) or continued fraction, to ~1e-15: exact GELU's reference. */
function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 100; n++) {
      term *= (-ax * ax) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17) break;
    }
    return Math.sign(x) * ((2 / Math.sqrt(Math.PI)) * sum);
  }
  let f = 0;
  for (let n = 60; n >= 1; n--) f = n / 2 / (ax + f);
  return Math.sign(x) * (1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f));
}

const gelu = (v: number) => 0.5 * v * (1 + erf(v / Math.SQRT2));

function attention(q: Matrix, k: Matrix, v: Matrix, heads: number): Matrix {
  const dim = q[0].length;
  const dh = dim / heads;
  const out = q.map(() => new Array<number>(dim).fill(0));
  for (let h = 0; h < heads; h++) {
    const off = h * dh;
    q.forEach((qi, i) => {
      const scores = k.map((kj) => {
        let s = 0;
        for (let d = 0; d < dh; d++) s += qi[off + d] * kj[off + d];
        return s / Math.sqrt(dh);
      });
      const max = Math.max(...scores);
      const e = scores.map((s) => Math.exp(s - max));
      const z = e.reduce((a, b) => a + b, 0);
      e.forEach((w, j) => {
        for (let d = 0; d < dh; d++) out[i][off + d] += (w / z) * v[j][off + d];
      });
    });
  }
  return out;
}

/** Features [count][dim] of patchified images (the engine's patch order) under `options`. */
export function referenceFeatures(
  p: Params,
  arch: VitArch,
  patches: ArrayLike<number>,
  count: number,
  options: ReferenceOptions,
): Matrix {
  const { dim } = arch;
  const eps = arch.normEps ?? DEFAULT_NORM_EPS;
  const patchDim = patches.length / count / (arch.imageSize / arch.patchSize) ** 2;
  const np = (arch.imageSize / arch.patchSize) ** 2;
  const rowOf = (a: ArrayLike<number>, start: number, n: number) =>
    Array.from({ length: n }, (_, i) => a[start + i]);
  return Array.from({ length: count }, (_, image) => {
    const px: Matrix = Array.from({ length: np }, (_, t) =>
      rowOf(patches, (image * np + t) * patchDim, patchDim),
    );
    const embedded = linear(px, p['patch_embed.proj.weight'], p['patch_embed.proj.bias'], dim);
    const pos = (t: number) => rowOf(p['pos_embed'], t * dim, dim);
    const prompts = options.promptTokens?.(image) ?? [];
    let x: Matrix = [
      rowOf(p['cls_token'], 0, dim).map((v, i) => v + pos(0)[i]),
      ...prompts.map((row) => row.map((v, i) => v + pos(0)[i])),
      ...embedded.map((row, t) => row.map((v, i) => v + pos(t + 1)[i])),
    ];
    for (let b = 0; b < arch.depth; b++) {
      const name = (s: string) => p[`blocks.${b}.${s}`];
      const h = layerNorm(x, name('norm1.weight'), name('norm1.bias'), eps);
      const qkv = linear(h, name('attn.qkv.weight'), name('attn.qkv.bias'), 3 * dim);
      const q = qkv.map((r) => r.slice(0, dim));
      let k = qkv.map((r) => r.slice(dim, 2 * dim));
      let v = qkv.map((r) => r.slice(2 * dim));
      const prefix = options.prefix?.(b, image);
      if (prefix) {
        k = [...prefix.key, ...k];
        v = [...prefix.value, ...v];
      }
      const attended = linear(
        attention(q, k, v, arch.heads),
        name('attn.proj.weight'),
        name('attn.proj.bias'),
        dim,
      );
      const x1 = x.map((row, t) => row.map((val, i) => val + attended[t][i]));
      const h2 = layerNorm(x1, name('norm2.weight'), name('norm2.bias'), eps);
      const hidden = linear(h2, name('mlp.fc1.weight'), name('mlp.fc1.bias'), arch.mlpDim).map((r) =>
        r.map(gelu),
      );
      const m = linear(hidden, name('mlp.fc2.weight'), name('mlp.fc2.bias'), dim);
      x = x1.map((row, t) => row.map((val, i) => val + m[t][i]));
    }
    const normed = layerNorm(x, p['norm.weight'], p['norm.bias'], options.finalNormEps);
    if (options.readout === 'prompt-mean') {
      const t = prompts.length;
      return Array.from({ length: dim }, (_, i) => normed.slice(1, 1 + t).reduce((a, r) => a + r[i], 0) / t);
    }
    return normed[0];
  });
}

/** Mean cross-entropy of logits = feats · W + b against labels (float64). */
export function referenceCrossEntropy(
  feats: Matrix,
  weight: ArrayLike<number>,
  bias: ArrayLike<number>,
  labels: ArrayLike<number>,
): number {
  const classes = bias.length;
  const logits = linear(feats, weight, bias, classes);
  let loss = 0;
  logits.forEach((row, i) => {
    const max = Math.max(...row);
    const z = row.reduce((a, v) => a + Math.exp(v - max), 0);
    loss += -(row[labels[i]] - max - Math.log(z));
  });
  return loss / feats.length;
}
