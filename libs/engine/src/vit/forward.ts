import * as tf from '@tensorflow/tfjs-core';
import { gelu, layerNorm, linear, matmul } from '../ops';
import { CHANNELS, DEFAULT_NORM_EPS, numPatches, patchInputDim, type VitArch } from './arch';

/** Backbone tensors by timm name, in this engine's layout (see ParamSpec). */
export type BackboneTensors = Record<string, tf.Tensor>;

export interface ForwardOptions {
  /** Epsilon of the final LayerNorm: 1e-5 for SLCA's fresh norm, the checkpoint's own (1e-6) otherwise. */
  finalNormEps?: number;
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

function attention(x: tf.Tensor, p: BackboneTensors, prefix: string, arch: VitArch): tf.Tensor {
  const [b, t] = x.shape;
  const { dim, heads } = arch;
  const dh = dim / heads;
  const qkv = linear(x, p[`${prefix}.qkv.weight`], p[`${prefix}.qkv.bias`]);
  const [q, k, v] = tf.split(qkv, 3, -1);
  const split = (z: tf.Tensor, perm: number[]) => tf.transpose(tf.reshape(z, [b, t, heads, dh]), perm);
  const qh = tf.reshape(split(tf.mul(q, 1 / Math.sqrt(dh)), [0, 2, 1, 3]), [b * heads, t, dh]);
  const kt = tf.reshape(split(k, [0, 2, 3, 1]), [b * heads, dh, t]);
  const vh = tf.reshape(split(v, [0, 2, 1, 3]), [b * heads, t, dh]);
  const weights = tf.softmax(matmul(qh, kt));
  const mixed = tf.reshape(matmul(weights, vh), [b, heads, t, dh]);
  const merged = tf.reshape(tf.transpose(mixed, [0, 2, 1, 3]), [b, t, dim]);
  return linear(merged, p[`${prefix}.proj.weight`], p[`${prefix}.proj.bias`]);
}

/**
 * The CLS feature after the final LayerNorm, [batch, dim], for patches [batch, patches, patchDim].
 * Pre-norm blocks, qkv attention with bias, exact-GELU MLP, no dropout: timm's VisionTransformer.
 */
export function vitFeatures(
  params: BackboneTensors,
  patches: tf.Tensor,
  arch: VitArch,
  options: ForwardOptions = {},
): tf.Tensor2D {
  const eps = arch.normEps ?? DEFAULT_NORM_EPS;
  const b = patches.shape[0];
  let x = linear(patches, params['patch_embed.proj.weight'], params['patch_embed.proj.bias']);
  const cls = tf.tile(params['cls_token'], [b, 1, 1]);
  x = tf.add(tf.concat([cls, x], 1), params['pos_embed']);
  for (let i = 0; i < arch.depth; i++) {
    const blk = `blocks.${i}`;
    const h = layerNorm(x, params[`${blk}.norm1.weight`], params[`${blk}.norm1.bias`], eps);
    x = tf.add(x, attention(h, params, `${blk}.attn`, arch));
    const h2 = layerNorm(x, params[`${blk}.norm2.weight`], params[`${blk}.norm2.bias`], eps);
    const mlp = linear(
      gelu(linear(h2, params[`${blk}.mlp.fc1.weight`], params[`${blk}.mlp.fc1.bias`])),
      params[`${blk}.mlp.fc2.weight`],
      params[`${blk}.mlp.fc2.bias`],
    );
    x = tf.add(x, mlp);
  }
  const clsOut = tf.reshape(tf.slice(x, [0, 0, 0], [b, 1, arch.dim]), [b, arch.dim]);
  return layerNorm(
    clsOut,
    params['norm.weight'],
    params['norm.bias'],
    options.finalNormEps ?? eps,
  ) as tf.Tensor2D;
}
