import { numPatches, patchInputDim, DEFAULT_NORM_EPS, type VitArch } from '../vit/arch';
import { GraphBuilder } from './onnx-builder';
import type { OnnxGraph } from './onnx-model';

/*
 * One training pass of the ViT classifier as an ONNX graph: the forward of vit/forward.ts (every token of
 * every block), the head, the loss, and the backward pass written out by hand as ordinary ONNX operators
 * (onnxruntime has no training API in Node, and the engine's gradients are hand-written anyway). Inputs:
 * `patches` [count, patches, patchDim], `targets` [count, classes] (the one-hot labels) and the parameters by
 * their layout names; outputs: `loss` (the mean over the batch) and `grad:<name>` for each trained tensor.
 *
 * The backward pass, per block (x → h₁ = LN₁(x) → qkv → attention → proj → x₁ = x + a → h₂ = LN₂(x₁) →
 * u = fc1(h₂) → GELU → fc2 → x₂ = x₁ + m), in reverse:
 * - a linear y = x·W + b: ∂x = ∂y·Wᵀ, ∂W = xᵀ·∂y over every row (batch × tokens), ∂b = Σ ∂y;
 * - exact GELU: ∂u = ∂g·(Φ(u) + u·φ(u));
 * - LayerNorm with x̂ = (x − μ)·r, r = 1/√(σ² + ε): ∂γ = Σ ∂y·x̂, ∂β = Σ ∂y, and with d = ∂y·γ,
 *   ∂x = r·(d − mean(d) − x̂·mean(d·x̂)) over the feature axis;
 * - attention O = softmax(s·QKᵀ)·V, P the softmax: ∂V = Pᵀ·∂O, ∂P = ∂O·Vᵀ, ∂S = P ⊙ (∂P − Σⱼ ∂P ⊙ P),
 *   ∂Q = s·∂S·K, ∂K = s·∂Sᵀ·Q;
 * - LoRA, W' = W + c·A·B: ∂W = ∂W', ∂A = c·∂W'·Bᵀ, ∂B = c·Aᵀ·∂W';
 * - cross-entropy of the head's logits z: ∂z = (softmax(z) − y)/count; symmetric CE (SLCA++) adds b times
 *   the reverse CE's, p ⊙ (g − Σ g ⊙ p) with g = −log(1e-4)·[k ≠ label]·[p ≥ 1e-7] (as ops.ts).
 */

/** What the training graph computes: which tensors are trained, the objective, LoRA. */
export interface TrainGraphOptions {
  /** Layout names of the tensors to differentiate (a `grad:<name>` output each). */
  trained: readonly string[];
  finalNormEps: number;
  /** a·CE + b·RCE (SLCA++); absent: plain cross-entropy. */
  symmetric?: { a: number; b: number };
  /** LoRA scale: blocks with `blocks.i.attn.lora_a`/`lora_b` in the layout use W + scale·A·B. */
  loraScale?: number;
}

/** −log(1e-4) and 1e-7: the reverse cross-entropy's clamps (ops.ts symmetricCrossEntropy). */
const RCE_NEG_LOG_FLOOR = -Math.log(1e-4);
const RCE_PROB_FLOOR = 1e-7;

export function vitTrainGraph(
  arch: VitArch,
  layout: readonly { name: string; shape: number[] }[],
  count: number,
  classes: number,
  options: TrainGraphOptions,
): OnnxGraph {
  const { dim, heads, depth } = arch;
  const dh = dim / heads;
  const patchCount = numPatches(arch);
  const tokens = patchCount + 1;
  const rows = count * tokens;
  const eps = arch.normEps ?? DEFAULT_NORM_EPS;
  const names = new Set(layout.map((s) => s.name));
  const trained = new Set(options.trained);
  for (const n of trained)
    if (!names.has(n)) throw new Error(`training graph: no tensor '${n}' in the layout`);
  const g = new GraphBuilder();
  const op = g.op.bind(g);
  const axes0 = g.ints([0]);
  const lastAxis = g.ints([-1]);
  const sum0 = (x: string) => op('ReduceSum', [x, axes0], { keepdims: 0 });
  const gemm = (a: string, b: string, attrs: { transA?: number; transB?: number; alpha?: number } = {}) =>
    op('Gemm', [a, b], {
      ...(attrs.transA && { transA: 1 }),
      ...(attrs.transB && { transB: 1 }),
      ...(attrs.alpha !== undefined && { alpha: { float: attrs.alpha } }),
    });
  const fusedMatMul = (a: string, b: string, attrs: { transA?: number; transB?: number; alpha?: number }) =>
    op(
      'FusedMatMul',
      [a, b],
      {
        alpha: { float: attrs.alpha ?? 1 },
        transA: attrs.transA ?? 0,
        transB: attrs.transB ?? 0,
      },
      'com.microsoft',
    );
  const grads = new Map<string, string>();
  const wantsAny = (prefix: string) => [...trained].some((n) => n.startsWith(prefix));

  // --- forward, keeping what the backward pass reads -------------------------------------------------------
  interface LinearSaved {
    x: string;
    weight: string;
    prefix: string;
    lora?: { a: string; b: string };
  }
  const linear = (x: string, prefix: string, weight = `${prefix}.weight`): [string, LinearSaved] => [
    op('Gemm', [x, weight, `${prefix}.bias`]),
    { x, weight, prefix },
  ];
  interface NormSaved {
    x: string;
    mean: string;
    invStd: string;
    prefix: string;
  }
  const norm = (x: string, prefix: string, epsilon: number): [string, NormSaved] => {
    const [y, mean, invStd] = g.ops('LayerNormalization', [x, `${prefix}.weight`, `${prefix}.bias`], 3, {
      axis: -1,
      epsilon: { float: epsilon },
    });
    return [y, { x, mean, invStd, prefix }];
  };

  const patches2d = op('Reshape', ['patches', g.ints([count * patchCount, patchInputDim(arch)])]);
  const [embedded, embedSaved] = linear(patches2d, 'patch_embed.proj');
  const cls = op('Expand', ['cls_token', g.ints([count, 1, dim])]);
  const x0 = op('Add', [
    op('Concat', [cls, op('Reshape', [embedded, g.ints([count, patchCount, dim])])], { axis: 1 }),
    'pos_embed',
  ]);
  let x = op('Reshape', [x0, g.ints([rows, dim])]);
  const scale = 1 / Math.sqrt(dh);
  interface BlockSaved {
    norm1: NormSaved;
    qkv: LinearSaved;
    q: string;
    k: string;
    v: string;
    attention: string;
    proj: LinearSaved;
    norm2: NormSaved;
    fc1: LinearSaved;
    u: string;
    fc2: LinearSaved;
  }
  const blocks: BlockSaved[] = [];
  for (let i = 0; i < depth; i++) {
    const p = `blocks.${i}`;
    const [h1, norm1] = norm(x, `${p}.norm1`, eps);
    let qkvWeight = `${p}.attn.qkv.weight`;
    let lora: LinearSaved['lora'];
    const loraA = `${p}.attn.lora_a`;
    const loraB = `${p}.attn.lora_b`;
    if (options.loraScale !== undefined && names.has(loraA) && names.has(loraB)) {
      const delta = op('Mul', [op('MatMul', [loraA, loraB]), g.scalar(options.loraScale)]);
      qkvWeight = op('Add', [qkvWeight, delta]);
      lora = { a: loraA, b: loraB };
    }
    const [qkv, qkvSaved] = linear(h1, `${p}.attn.qkv`, qkvWeight);
    qkvSaved.lora = lora;
    const split = op('Transpose', [op('Reshape', [qkv, g.ints([count, tokens, 3, heads, dh])])], {
      perm: [2, 0, 3, 1, 4],
    });
    const [q, k, v] = [0, 1, 2].map((j) => op('Gather', [split, g.scalarInt(j)], { axis: 0 }));
    const attention = op('Softmax', [fusedMatMul(q, k, { transB: 1, alpha: scale })], { axis: -1 });
    const mixed = op('MatMul', [attention, v]);
    const merged = op('Reshape', [op('Transpose', [mixed], { perm: [0, 2, 1, 3] }), g.ints([rows, dim])]);
    const [projected, proj] = linear(merged, `${p}.attn.proj`);
    const x1 = op('Add', [x, projected]);
    const [h2, norm2] = norm(x1, `${p}.norm2`, eps);
    const [u, fc1] = linear(h2, `${p}.mlp.fc1`);
    const hidden = op('Gelu', [u]);
    const [m, fc2] = linear(hidden, `${p}.mlp.fc2`);
    x = op('Add', [x1, m]);
    blocks.push({ norm1, qkv: qkvSaved, q, k, v, attention, proj, norm2, fc1, u, fc2 });
  }
  const clsRow = op('Gather', [op('Reshape', [x, g.ints([count, tokens, dim])]), g.scalarInt(0)], {
    axis: 1,
  });
  const [features, finalNorm] = norm(clsRow, 'norm', options.finalNormEps);
  const [logits, headSaved] = linear(features, 'head');

  // --- loss and its gradient with respect to the logits ----------------------------------------------------
  const logProbs = op('LogSoftmax', [logits], { axis: -1 });
  const ce = op('Neg', [op('ReduceSum', [op('Mul', [logProbs, 'targets'])], { keepdims: 0 })]);
  const probs = op('Softmax', [logits], { axis: -1 });
  let lossSum = ce;
  let dLogits = op('Sub', [probs, 'targets']);
  const sym = options.symmetric;
  if (sym) {
    const others = op('Sub', [g.scalar(1), 'targets']);
    const clipped = op('Clip', [probs, g.scalar(RCE_PROB_FLOOR), g.scalar(1)]);
    const rce = op('Mul', [
      g.scalar(RCE_NEG_LOG_FLOOR),
      op('ReduceSum', [op('Mul', [clipped, others])], { keepdims: 0 }),
    ]);
    lossSum = op('Add', [op('Mul', [g.scalar(sym.a), ce]), op('Mul', [g.scalar(sym.b), rce])]);
    const passes = op('Cast', [op('GreaterOrEqual', [probs, g.scalar(RCE_PROB_FLOOR)])], { to: 1 });
    const gr = op('Mul', [g.scalar(RCE_NEG_LOG_FLOOR), op('Mul', [others, passes])]);
    const inner = op('ReduceSum', [op('Mul', [gr, probs]), lastAxis], { keepdims: 1 });
    const dr = op('Mul', [probs, op('Sub', [gr, inner])]);
    dLogits = op('Add', [op('Mul', [g.scalar(sym.a), dLogits]), op('Mul', [g.scalar(sym.b), dr])]);
  }
  g.output(op('Mul', [lossSum, g.scalar(1 / count)]), 'loss');
  dLogits = op('Mul', [dLogits, g.scalar(1 / count)]);

  // --- backward --------------------------------------------------------------------------------------------
  /** Gradients of a linear layer's parameters (where trained); returns ∂x when `needInput`. */
  const linearBack = (s: LinearSaved, dy: string, needInput: boolean): string | null => {
    const weightName = `${s.prefix}.weight`;
    const biasName = `${s.prefix}.bias`;
    if (trained.has(biasName)) grads.set(biasName, sum0(dy));
    const loraTrained = s.lora && (trained.has(s.lora.a) || trained.has(s.lora.b));
    if (trained.has(weightName) || loraTrained) {
      const dW = gemm(s.x, dy, { transA: 1 });
      if (trained.has(weightName)) grads.set(weightName, dW);
      if (s.lora && options.loraScale !== undefined) {
        const c = options.loraScale;
        if (trained.has(s.lora.a)) grads.set(s.lora.a, gemm(dW, s.lora.b, { transB: 1, alpha: c }));
        if (trained.has(s.lora.b)) grads.set(s.lora.b, gemm(s.lora.a, dW, { transA: 1, alpha: c }));
      }
    }
    return needInput ? gemm(dy, s.weight, { transB: 1 }) : null;
  };
  const normBack = (s: NormSaved, dy: string): string => {
    const normalized = op('Mul', [op('Sub', [s.x, s.mean]), s.invStd]);
    if (trained.has(`${s.prefix}.bias`)) grads.set(`${s.prefix}.bias`, sum0(dy));
    if (trained.has(`${s.prefix}.weight`)) grads.set(`${s.prefix}.weight`, sum0(op('Mul', [dy, normalized])));
    const d = op('Mul', [dy, `${s.prefix}.weight`]);
    const meanD = op('ReduceMean', [d, lastAxis], { keepdims: 1 });
    const meanDx = op('ReduceMean', [op('Mul', [d, normalized]), lastAxis], { keepdims: 1 });
    return op('Mul', [s.invStd, op('Sub', [op('Sub', [d, meanD]), op('Mul', [normalized, meanDx])])]);
  };
  const geluBack = (u: string, dy: string): string => {
    const cdf = op('Mul', [
      g.scalar(0.5),
      op('Add', [g.scalar(1), op('Erf', [op('Mul', [u, g.scalar(Math.SQRT1_2)])])]),
    ]);
    const pdf = op('Mul', [
      op('Exp', [op('Mul', [op('Mul', [u, u]), g.scalar(-0.5)])]),
      g.scalar(1 / Math.sqrt(2 * Math.PI)),
    ]);
    return op('Mul', [dy, op('Add', [cdf, op('Mul', [u, pdf])])]);
  };

  const backbone = [...trained].some((n) => n !== 'head.weight' && n !== 'head.bias');
  const dFeatures = linearBack(headSaved, dLogits, backbone);
  if (dFeatures) {
    const dCls = normBack(finalNorm, dFeatures);
    // Only the CLS row of the last block's output reaches the loss: the other rows' gradients are zero.
    const padded = op('Pad', [op('Unsqueeze', [dCls, g.ints([1])]), g.ints([0, 0, 0, 0, tokens - 1, 0])]);
    let dx = op('Reshape', [padded, g.ints([rows, dim])]);
    for (let i = depth - 1; i >= 0; i--) {
      const b = blocks[i];
      const dHidden = linearBack(b.fc2, dx, true) as string;
      const dh2 = linearBack(b.fc1, geluBack(b.u, dHidden), true) as string;
      const dx1 = op('Add', [dx, normBack(b.norm2, dh2)]);
      const dMerged = linearBack(b.proj, dx1, true) as string;
      const dMixed = op('Transpose', [op('Reshape', [dMerged, g.ints([count, tokens, heads, dh])])], {
        perm: [0, 2, 1, 3],
      });
      const dAttention = fusedMatMul(dMixed, b.v, { transB: 1 });
      const dv = fusedMatMul(b.attention, dMixed, { transA: 1 });
      const inner = op('ReduceSum', [op('Mul', [dAttention, b.attention]), lastAxis], { keepdims: 1 });
      const dScores = op('Mul', [b.attention, op('Sub', [dAttention, inner])]);
      const dq = fusedMatMul(dScores, b.k, { alpha: scale });
      const dk = fusedMatMul(dScores, b.q, { transA: 1, alpha: scale });
      const stacked = op(
        'Concat',
        [dq, dk, dv].map((t) => op('Unsqueeze', [t, axes0])),
        { axis: 0 },
      );
      const dQkv = op('Reshape', [
        op('Transpose', [stacked], { perm: [1, 3, 0, 2, 4] }),
        g.ints([rows, 3 * dim]),
      ]);
      const dh1 = linearBack(b.qkv, dQkv, true) as string;
      dx = op('Add', [dx1, normBack(b.norm1, dh1)]);
    }
    const dx0 = op('Reshape', [dx, g.ints([count, tokens, dim])]);
    if (trained.has('pos_embed')) grads.set('pos_embed', op('ReduceSum', [dx0, axes0], { keepdims: 1 }));
    const slice = (start: number, end: number) =>
      op('Slice', [dx0, g.ints([start]), g.ints([end]), g.ints([1])]);
    if (trained.has('cls_token'))
      grads.set('cls_token', op('ReduceSum', [slice(0, 1), axes0], { keepdims: 1 }));
    if (wantsAny('patch_embed'))
      linearBack(embedSaved, op('Reshape', [slice(1, tokens), g.ints([count * patchCount, dim])]), false);
  }

  const layoutOf = new Map(layout.map((s) => [s.name, s.shape]));
  const outputs = [...trained].map((name) => {
    const value = grads.get(name);
    if (!value) throw new Error(`training graph: no gradient path to '${name}'`);
    // Every gradient above is computed in its tensor's own shape: written straight to the output.
    g.output(value, `grad:${name}`);
    return { name: `grad:${name}`, shape: layoutOf.get(name) as number[] };
  });
  return g.graph(
    [
      { name: 'patches', shape: [count, patchCount, patchInputDim(arch)] },
      { name: 'targets', shape: [count, classes] },
      ...layout.map((s) => ({ name: s.name, shape: s.shape })),
    ],
    [{ name: 'loss', shape: [] }, ...outputs],
  );
}
