import { numPatches, patchInputDim, DEFAULT_NORM_EPS, type VitArch } from '../vit/arch';
import { GraphBuilder } from './onnx-builder';
import type { OnnxGraph } from './onnx-model';

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
  const g = new GraphBuilder();
  const linear = (x: string, prefix: string) =>
    g.op('Add', [g.op('MatMul', [x, `${prefix}.weight`]), `${prefix}.bias`]);
  const norm = (x: string, prefix: string, epsilon: number) =>
    g.op('LayerNormalization', [x, `${prefix}.weight`, `${prefix}.bias`], {
      axis: -1,
      epsilon: { float: epsilon },
    });

  let x = linear('patches', 'patch_embed.proj');
  const cls = g.op('Expand', ['cls_token', g.ints([count, 1, dim])]);
  x = g.op('Add', [g.op('Concat', [cls, x], { axis: 1 }), 'pos_embed']);
  const scale = g.scalar(1 / Math.sqrt(dh));
  for (let i = 0; i < depth; i++) {
    const p = `blocks.${i}`;
    const qkv = linear(norm(x, `${p}.norm1`, eps), `${p}.attn.qkv`);
    const split = g.op('Transpose', [g.op('Reshape', [qkv, g.ints([count, tokens, 3, heads, dh])])], {
      perm: [2, 0, 3, 1, 4],
    });
    const [q, kk, v] = [0, 1, 2].map((j) => g.op('Gather', [split, g.scalarInt(j)], { axis: 0 }));
    const scores = g.op('Mul', [g.op('MatMul', [q, g.op('Transpose', [kk], { perm: [0, 1, 3, 2] })]), scale]);
    const mixed = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), v]);
    const merged = g.op('Reshape', [
      g.op('Transpose', [mixed], { perm: [0, 2, 1, 3] }),
      g.ints([count, tokens, dim]),
    ]);
    x = g.op('Add', [x, linear(merged, `${p}.attn.proj`)]);
    const hidden = g.op('Gelu', [linear(norm(x, `${p}.norm2`, eps), `${p}.mlp.fc1`)]);
    x = g.op('Add', [x, linear(hidden, `${p}.mlp.fc2`)]);
  }
  const clsRow = g.op('Gather', [x, g.scalarInt(0)], { axis: 1 });
  g.output(norm(clsRow, 'norm', finalNormEps), 'features');
  return g.graph(
    [
      { name: 'patches', shape: [count, numPatches(arch), patchInputDim(arch)] },
      ...layout.map((s) => ({ name: s.name, shape: s.shape })),
    ],
    [{ name: 'features', shape: [count, dim] }],
  );
}
