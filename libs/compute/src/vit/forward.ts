import * as tf from '@tensorflow/tfjs-core';
import {
  clsAttention,
  gelu,
  layerNorm,
  linear as trainedLinear,
  linearFrozen,
  lowRankWeight,
  prefixAttention,
  selfAttention,
} from '../ops';
import { CHANNELS, DEFAULT_NORM_EPS, numPatches, patchInputDim, type VitArch } from './arch';

/** Backbone tensors by timm name, in this engine's layout (see ParamSpec). */
export type BackboneTensors = Record<string, tf.Tensor>;

export interface ForwardOptions {
  /** Epsilon of the final LayerNorm: 1e-5 for SLCA's fresh norm, the checkpoint's own (1e-6) otherwise. */
  finalNormEps?: number;
  /**
   * Compute the last block for every token, not only for the CLS token. The feature is the same (up to
   * float rounding); this exists to check that.
   */
  fullLastBlock?: boolean;
  /**
   * LoRA scale of the qkv weights: each block with `blocks.i.attn.lora_a` [dim, r] and `lora_b` [r, 3·dim]
   * in the params uses W + scale·A·B (SLCA++). Blocks without them use W.
   */
  loraScale?: number;
  /**
   * Prompt tuning (L2P): tokens [batch, T, dim] inserted after the CLS token, their position embedding the
   * CLS token's (as the reference widens pos_embed: `resize_pos_embed` repeats the CLS entry), and what the
   * feature is: the CLS token's, or the mean of the prompt tokens' outputs after the final norm.
   */
  prompt?: { tokens: tf.Tensor; readout: 'cls' | 'prompt-mean' };
  /**
   * Prefix tuning (DualPrompt): per block index, keys and values [batch, L, dim] placed in front of the
   * block's own in its attention (the reference's PreT_Attention).
   */
  prefixes?: ReadonlyMap<number, Prefix>;
  /**
   * No backbone tensor is differentiated (a frozen ViT under prompts): its linear layers skip the weight
   * gradients in the backward pass. The forward and the inputs' gradients are the same.
   */
  frozenBackbone?: boolean;
}

export interface Prefix {
  key: tf.Tensor;
  value: tf.Tensor;
}

/**
 * Cuts NHWC images into flattened patches [n, patches, (ph, pw, c)] in row-major patch order, the order
 * timm's strided convolution visits them. Done on the input side, outside autodiff: images are not trained.
 */
export function patchify(images: Float32Array, count: number, arch: VitArch): Float32Array {
  const { imageSize: s, patchSize: p } = arch;
  const perImage = s * s * CHANNELS;
  if (images.length !== count * perImage) {
    throw new Error(`patchify: expected ${count}×${s}×${s}×${CHANNELS} values, got ${images.length}`);
  }
  const grid = s / p;
  const out = new Float32Array(images.length);
  const patchLen = patchInputDim(arch);
  const rowLen = p * CHANNELS;
  let o = 0;
  for (let n = 0; n < count; n++) {
    const base = n * perImage;
    for (let gy = 0; gy < grid; gy++) {
      for (let gx = 0; gx < grid; gx++) {
        for (let py = 0; py < p; py++) {
          const src = base + ((gy * p + py) * s + gx * p) * CHANNELS;
          out.set(images.subarray(src, src + rowLen), o);
          o += rowLen;
        }
      }
    }
  }
  if (o !== count * numPatches(arch) * patchLen) throw new Error('patchify: internal size mismatch');
  return out;
}

type Linear = (x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor) => tf.Tensor;

interface BlockParams {
  linear: Linear;
  norm1: [tf.Tensor, tf.Tensor];
  qkv: [tf.Tensor, tf.Tensor];
  proj: [tf.Tensor, tf.Tensor];
  norm2: [tf.Tensor, tf.Tensor];
  fc1: [tf.Tensor, tf.Tensor];
  fc2: [tf.Tensor, tf.Tensor];
}

function blockParams(
  p: BackboneTensors,
  i: number,
  loraScale?: number,
  linear: Linear = trainedLinear,
): BlockParams {
  const pair = (name: string): [tf.Tensor, tf.Tensor] => [
    p[`blocks.${i}.${name}.weight`],
    p[`blocks.${i}.${name}.bias`],
  ];
  const loraA = p[`blocks.${i}.attn.lora_a`];
  const loraB = p[`blocks.${i}.attn.lora_b`];
  const [qkvWeight, qkvBias] = pair('attn.qkv');
  return {
    linear,
    norm1: pair('norm1'),
    qkv: [
      loraA && loraB && loraScale !== undefined
        ? lowRankWeight(qkvWeight, loraA, loraB, loraScale)
        : qkvWeight,
      qkvBias,
    ],
    proj: pair('attn.proj'),
    norm2: pair('norm2'),
    fc1: pair('mlp.fc1'),
    fc2: pair('mlp.fc2'),
  };
}

function mlp(h: tf.Tensor, bp: BlockParams): tf.Tensor {
  return bp.linear(gelu(bp.linear(h, ...bp.fc1)), ...bp.fc2);
}

/** One pre-norm block over every token: x [b, t, dim] → [b, t, dim]. */
function block(x: tf.Tensor, bp: BlockParams, arch: VitArch, eps: number, prefix?: Prefix): tf.Tensor {
  const h = layerNorm(x, ...bp.norm1, eps);
  const qkv = bp.linear(h, ...bp.qkv);
  const attended = prefix
    ? prefixAttention(qkv, prefix.key, prefix.value, arch.heads)
    : selfAttention(qkv, arch.heads);
  const x1 = tf.add(x, bp.linear(attended, ...bp.proj));
  return tf.add(x1, mlp(layerNorm(x1, ...bp.norm2, eps), bp));
}

/**
 * The same block computed for the CLS token only: x [b, t, dim] → CLS row [b, dim]. Every token still
 * supplies keys and values, but only the CLS token's query, attention output, projection and MLP are
 * computed — all that the final feature depends on, so the last block of the model can skip the rest.
 */
function clsBlock(x: tf.Tensor, bp: BlockParams, arch: VitArch, eps: number): tf.Tensor {
  const [b, , dim] = x.shape;
  const h = layerNorm(x, ...bp.norm1, eps);
  const [w, bias] = bp.qkv;
  const kv = bp.linear(h, tf.slice(w, [0, dim], [dim, 2 * dim]), tf.slice(bias, [dim], [2 * dim]));
  const hCls = tf.reshape(tf.slice(h, [0, 0, 0], [b, 1, dim]), [b, dim]);
  const q = bp.linear(hCls, tf.slice(w, [0, 0], [dim, dim]), tf.slice(bias, [0], [dim]));
  const attended = clsAttention(q, kv, arch.heads);
  const xCls = tf.reshape(tf.slice(x, [0, 0, 0], [b, 1, dim]), [b, dim]);
  const x1 = tf.add(xCls, bp.linear(attended, ...bp.proj));
  return tf.add(x1, mlp(layerNorm(x1, ...bp.norm2, eps), bp));
}

/**
 * The CLS feature after the final LayerNorm, [batch, dim], for patches [batch, patches, patchDim].
 * Pre-norm blocks, qkv attention with bias, exact-GELU MLP, no dropout: timm's VisionTransformer.
 * The last block is computed for the CLS token only (see clsBlock) unless `fullLastBlock` is set.
 */
export function vitFeatures(
  params: BackboneTensors,
  patches: tf.Tensor,
  arch: VitArch,
  options: ForwardOptions = {},
): tf.Tensor2D {
  const eps = arch.normEps ?? DEFAULT_NORM_EPS;
  const b = patches.shape[0];
  const linear = options.frozenBackbone ? linearFrozen : trainedLinear;
  let x = linear(patches, params['patch_embed.proj.weight'], params['patch_embed.proj.bias']);
  const cls = tf.tile(params['cls_token'], [b, 1, 1]);
  const prompt = options.prompt;
  if (prompt) {
    const t = prompt.tokens.shape[1] as number;
    const pos = params['pos_embed'];
    const patchCount = (pos.shape[1] as number) - 1;
    const posCls = tf.slice(pos, [0, 0, 0], [1, 1, arch.dim]);
    const widened = tf.concat(
      [posCls, tf.tile(posCls, [1, t, 1]), tf.slice(pos, [0, 1, 0], [1, patchCount, arch.dim])],
      1,
    );
    x = tf.add(tf.concat([cls, prompt.tokens, x], 1), widened);
  } else x = tf.add(tf.concat([cls, x], 1), params['pos_embed']);
  const promptMean = prompt?.readout === 'prompt-mean';
  const prefixes = options.prefixes;
  const prefixedLast = prefixes?.has(arch.depth - 1) ?? false;
  const last = options.fullLastBlock || promptMean || prefixedLast ? arch.depth : arch.depth - 1;
  for (let i = 0; i < last; i++)
    x = block(x, blockParams(params, i, options.loraScale, linear), arch, eps, prefixes?.get(i));
  const clsOut =
    last < arch.depth
      ? clsBlock(x, blockParams(params, last, options.loraScale, linear), arch, eps)
      : tf.reshape(tf.slice(x, [0, 0, 0], [b, 1, arch.dim]), [b, arch.dim]);
  if (prompt && promptMean) {
    const t = prompt.tokens.shape[1] as number;
    const tokens = layerNorm(
      tf.slice(x, [0, 1, 0], [b, t, arch.dim]),
      params['norm.weight'],
      params['norm.bias'],
      options.finalNormEps ?? eps,
    );
    return tf.mean(tokens, 1) as tf.Tensor2D;
  }
  return layerNorm(
    clsOut,
    params['norm.weight'],
    params['norm.bias'],
    options.finalNormEps ?? eps,
  ) as tf.Tensor2D;
}
