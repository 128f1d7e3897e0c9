import { HEAD_BIAS, HEAD_WEIGHT } from '@slca/compute';
import { DEFAULT_ALIGNMENT } from '../../slca/alignment';
import type { ExperimentConfig } from '../../slca/config';
import type { Head } from '../../slca/heads';
import { backboneLayout } from '../../weights/vit-weights';
import type { AdapterTensor, ContinualMethod, MethodIssue, MethodState } from '../method';
import { topRightSingularVectors } from './lora-init';
import { DEFAULT_SLCAPP, type SlcappOptions } from './options';

function optionsOf(config: ExperimentConfig): SlcappOptions {
  if (!config.slcapp) throw new Error('method slcapp needs its slcapp settings');
  return config.slcapp;
}

const loraNames = (block: number) => [`blocks.${block}.attn.lora_a`, `blocks.${block}.attn.lora_b`] as const;

/** The reference's "hybrid slow learner": norms, biases and the CLS token train; the rest stays frozen. */
export function slcappTrainsBackboneTensor(name: string): boolean {
  return name.includes('norm') || name.includes('bias') || name === 'cls_token';
}

/** PyTorch's CosineAnnealingLR in closed form, stepped per epoch: lr at epoch e of tMax. */
export function cosineLrWithFloor(baseLr: number, minLr: number, epoch: number, tMax: number): number {
  return minLr + ((baseLr - minLr) * (1 + Math.cos((Math.PI * epoch) / tMax))) / 2;
}

/**
 * The qkv weights with the LoRA merged, W + s·A·B per block (float64 sums, rounded once to float32): what
 * features and evaluation read, so devices and the evaluator run an ordinary ViT.
 */
export function mergeLora(
  config: ExperimentConfig,
  backbone: Float32Array,
  state: MethodState,
): Float32Array {
  const { arch } = config;
  const { loraRank: r, loraScale: s } = optionsOf(config);
  const layout = backboneLayout(arch);
  const merged = backbone.slice();
  const out = 3 * arch.dim;
  for (let i = 0; i < arch.depth; i++) {
    const [an, bn] = loraNames(i);
    const a = state.tensors[an];
    const b = state.tensors[bn];
    if (!a || !b) throw new Error(`slcapp: no LoRA stored for block ${i}`);
    const w = layout.view(merged, `blocks.${i}.attn.qkv.weight`);
    for (let row = 0; row < arch.dim; row++)
      for (let col = 0; col < out; col++) {
        let ab = 0;
        for (let k = 0; k < r; k++) ab += a[row * r + k] * b[k * out + col];
        w[row * out + col] = w[row * out + col] + s * ab;
      }
  }
  return merged;
}

/**
 * SLCA++ (Zhang et al., "SLCA++: Unleash the Power of Sequential Fine-tuning for Continual Learning with
 * Pre-training", arXiv 2408.08295; reference GengDavid/SLCA `models/slca_pp.py`, `convs/vits.py`): the slow
 * learner made parameter-efficient, rank-4 LoRA on every block's qkv weight (A from the frozen weight's top
 * right singular vectors at the first task, B = 0) with the norms, biases and CLS token trained and every
 * other backbone weight frozen; stage 1 on the symmetric cross-entropy with a cosine schedule; classifier
 * alignment with logit normalisation whose sampled features are scaled per sample by 1/(1 + s·(t − t_c))
 * instead of shrinking the means, and the old heads' inputs scaled by 1 + μ·(t − t_c) at inference. The
 * LoRA tensors are the method's state (in every checkpoint); features and evaluation read the merged weights.
 * The reference also builds LoRA on the MLP, whose tensors are in no optimizer group and so never train
 * (B stays 0): it is left out here, which computes the same model.
 */
export const SLCAPP: ContinualMethod<'slcapp'> = {
  id: 'slcapp',
  label: 'SLCA++',
  description:
    'LoRA (qkv) + norms/biases/CLS slow learner on the symmetric CE, alignment with per-sample feature scaling and old-head scaling',
  singleTask: false,
  linearClassifier: true,
  alignmentRequired: true,
  optionsKey: 'slcapp',
  configure: (base) => {
    const cfg = structuredClone(base);
    cfg.method = 'slcapp';
    cfg.alignment = { ...(base.alignment ?? DEFAULT_ALIGNMENT), logitNorm: true, meanShrink: false };
    cfg.slcapp = structuredClone(base.slcapp ?? DEFAULT_SLCAPP);
    return cfg;
  },
  issues: (config) => {
    const issues: MethodIssue[] = [];
    if (!config.slcapp) issues.push({ path: 'slcapp', message: 'method slcapp needs its slcapp settings' });
    else if (config.slcapp.loraRank > config.arch.dim)
      issues.push({
        path: 'slcapp.loraRank',
        message: `must be at most the backbone's width ${config.arch.dim}, got ${config.slcapp.loraRank}`,
      });
    if (config.alignment?.meanShrink)
      issues.push({
        path: 'alignment.meanShrink',
        message: 'must be false for method slcapp (its alignment scales each sampled feature instead)',
      });
    if (config.alignment && !config.alignment.logitNorm)
      issues.push({ path: 'alignment.logitNorm', message: 'method slcapp aligns with logitNorm true' });
    return issues;
  },
  fineTunes: () => true,
  initialState: () => ({ tensors: {}, values: {} }),
  stage1Plan(config, task) {
    const o = optionsOf(config);
    const s1 = config.stage1;
    const backboneLr = s1.lr * s1.backboneLrScale;
    const base = (name: string): number => {
      if (name === HEAD_WEIGHT || name === HEAD_BIAS) return s1.lr;
      if (name.includes('.lora_')) return task === 0 ? s1.lr * o.firstTaskLoraLrScale : backboneLr;
      return slcappTrainsBackboneTensor(name) ? backboneLr : 0;
    };
    return {
      lr: (name, epoch) => {
        const lr = base(name);
        return lr === 0 ? 0 : cosineLrWithFloor(lr, o.minLr, epoch, s1.epochs);
      },
      objective: { kind: 'symmetric-cross-entropy', a: o.sceA, b: o.sceB },
      lora: { scale: o.loraScale },
    };
  },
  async adapters({ config, arch, task, backbone, state, resuming, onProgress }): Promise<AdapterTensor[]> {
    const r = optionsOf(config).loraRank;
    const out = 3 * arch.dim;
    const layout = backboneLayout(arch);
    const tensors: AdapterTensor[] = [];
    for (let i = 0; i < arch.depth; i++) {
      const [an, bn] = loraNames(i);
      let a = state.tensors[an];
      let b = state.tensors[bn];
      if (!a || !b) {
        if (task !== 0) throw new Error(`slcapp: no LoRA stored for block ${i} at task ${task + 1}`);
        // A from the frozen qkv weight's top-r right singular vectors, B = 0 (the reference's init_lora);
        // a run resumed inside the first task takes both from its checkpoint instead.
        b = new Float64Array(r * out);
        if (resuming) a = new Float64Array(arch.dim * r);
        else {
          const weight = layout.view(backbone, `blocks.${i}.attn.qkv.weight`);
          a = topRightSingularVectors(weight, arch.dim, out, r).vectors;
          onProgress?.(i + 1, arch.depth);
          // Seconds a block on ViT-B: let the progress out (a service's stream, a terminal) between them.
          await new Promise((done) => setImmediate(done));
        }
      }
      tensors.push(
        { name: an, shape: [arch.dim, r], values: Float32Array.from(a) },
        { name: bn, shape: [r, out], values: Float32Array.from(b) },
      );
    }
    return tensors;
  },
  keepAdapters(state, adapters) {
    // float32 values held exactly in float64 (the state's tensor type).
    for (const a of adapters) state.tensors[a.name] = Float64Array.from(a.values);
  },
  mergedBackbone: mergeLora,
  alignmentFeatureScale(config) {
    const o = optionsOf(config);
    return { mu: o.featureScaleMu, spread: o.featureScaleSpread };
  },
  inferenceHeads(config, heads, task): Head[] {
    // The reference's update_scale: head t_c reads features × (1 + μ·(t − t_c)), i.e. its weight scaled.
    const mu = optionsOf(config).featureScaleMu;
    return heads.map((h, tc) => {
      const scale = 1 + mu * (task - tc);
      return {
        classes: h.classes,
        weight: Float32Array.from(h.weight, (w) => w * scale),
        bias: h.bias.slice(),
      };
    });
  },
};
