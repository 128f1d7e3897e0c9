import { numPatches, patchInputDim, DEFAULT_NORM_EPS, type VitArch } from '../vit/arch';
import type { OnnxConstant, OnnxGraph, OnnxNode } from './onnx-model';

/*
 * The ViT's CLS feature as an ONNX graph (the same model as vit/forward.ts vitFeatures): linear patch
 * embedding, CLS token, position embedding, pre-norm blocks (LayerNormalization, qkv with bias, softmax
 * attention, exact GELU), the final LayerNorm of the CLS row. Parameters are graph inputs named by their timm
 * names (the device feeds views of the flat buffer); `patches` [count, patches, patchDim] → `features`
 * [count, dim]. Every token of every block is computed (the CLS-only last block of vitFeatures gives the same
 * feature up to float rounding).
 */
export function vitFeatureGraph(
  arch: VitArch,
  layout: readonly { name: string; shape: number[] }[],
  count: number,
  finalNormEps: number,
): OnnxGraph {
  const { dim, heads, depth } = arch;
  const dh = dim / heads;
  const tokens = numPatches(arch) + 1;
  const eps = arch.normEps ?? DEFAULT_NORM_EPS;
  const nodes: OnnxNode[] = [];
  const constants: OnnxConstant[] = [];
  let k = 0;
  const tmp = () => `t${k++}`;
  const op = (type: string, inputs: string[], attributes?: OnnxNode['attributes']) => {
    const out = tmp();
    nodes.push({ op: type, inputs, outputs: [out], attributes });
    return out;
  };
  const ints = (values: number[]) => {
    const name = `c${constants.length}`;
    constants.push({ name, shape: [values.length], data: BigInt64Array.from(values.map(BigInt)) });
    return name;
  };
  const scalarInt = (value: number) => {
    const name = `c${constants.length}`;
    constants.push({ name, shape: [], data: BigInt64Array.of(BigInt(value)) });
    return name;
  };
  const scalar = (value: number) => {
    const name = `c${constants.length}`;
    constants.push({ name, shape: [], data: Float32Array.of(value) });
    return name;
  };
  const linear = (x: string, prefix: string) =>
    op('Add', [op('MatMul', [x, `${prefix}.weight`]), `${prefix}.bias`]);
  const norm = (x: string, prefix: string, epsilon: number) =>
    op('LayerNormalization', [x, `${prefix}.weight`, `${prefix}.bias`], {
      axis: -1,
      epsilon: { float: epsilon },
    });

  let x = linear('patches', 'patch_embed.proj');
  const cls = op('Expand', ['cls_token', ints([count, 1, dim])]);
  x = op('Add', [op('Concat', [cls, x], { axis: 1 }), 'pos_embed']);
  const scale = scalar(1 / Math.sqrt(dh));
  for (let i = 0; i < depth; i++) {
    const p = `blocks.${i}`;
    const qkv = linear(norm(x, `${p}.norm1`, eps), `${p}.attn.qkv`);
    const split = op('Transpose', [op('Reshape', [qkv, ints([count, tokens, 3, heads, dh])])], {
      perm: [2, 0, 3, 1, 4],
    });
    const [q, kk, v] = [0, 1, 2].map((j) => op('Gather', [split, scalarInt(j)], { axis: 0 }));
    const scores = op('Mul', [op('MatMul', [q, op('Transpose', [kk], { perm: [0, 1, 3, 2] })]), scale]);
    const mixed = op('MatMul', [op('Softmax', [scores], { axis: -1 }), v]);
    const merged = op('Reshape', [
      op('Transpose', [mixed], { perm: [0, 2, 1, 3] }),
      ints([count, tokens, dim]),
    ]);
    x = op('Add', [x, linear(merged, `${p}.attn.proj`)]);
    const hidden = op('Gelu', [linear(norm(x, `${p}.norm2`, eps), `${p}.mlp.fc1`)]);
    x = op('Add', [x, linear(hidden, `${p}.mlp.fc2`)]);
  }
  const clsRow = op('Gather', [x, scalarInt(0)], { axis: 1 });
  nodes.push({
    op: 'LayerNormalization',
    inputs: [clsRow, 'norm.weight', 'norm.bias'],
    outputs: ['features'],
    attributes: { axis: -1, epsilon: { float: finalNormEps } },
  });
  const used = new Set(nodes.flatMap((n) => n.inputs));
  return {
    nodes,
    constants,
    inputs: [
      { name: 'patches', shape: [count, numPatches(arch), patchInputDim(arch)] },
      ...layout.filter((s) => used.has(s.name)).map((s) => ({ name: s.name, shape: s.shape })),
    ],
    outputs: [{ name: 'features', shape: [count, dim] }],
  };
}
