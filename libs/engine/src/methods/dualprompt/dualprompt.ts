import { HEAD_BIAS, HEAD_WEIGHT, PROMPT_POOL, promptShapes, type PrefixTuningSpec } from '@slca/compute';
import type { ExperimentConfig } from '../../slca/config';
import { streamRng } from '../../slca/streams';
import { DEFAULT_ADAM } from '../../train/adam';
import type { AdapterTensor, ContinualMethod, MethodIssue, MethodState, PromptedModel } from '../method';
import { DEFAULT_DUALPROMPT, type DualPromptOptions } from './options';

function optionsOf(config: ExperimentConfig): DualPromptOptions {
  if (!config.dualprompt) throw new Error('method dualprompt needs its dualprompt settings');
  return config.dualprompt;
}

function promptSpec(o: DualPromptOptions): PrefixTuningSpec {
  return {
    kind: 'prefix-tuning',
    gLayers: [...o.gLayers],
    gLength: o.gLength,
    eLayers: [...o.eLayers],
    pool: o.poolSize,
    length: o.eLength,
    topK: o.topK,
    readout: 'cls',
    keyLossWeight: o.keyLossWeight,
  };
}

const tensorShapes = (config: ExperimentConfig) =>
  Object.entries(promptShapes(promptSpec(optionsOf(config)), config.arch.dim));

/** The G-prompt, E-prompts and keys before the first task: uniform in [−r, r] from the seed's own stream. */
export function initialDualPrompts(config: ExperimentConfig): AdapterTensor[] {
  const r = optionsOf(config).initRange;
  const rng = streamRng(config.seed, 'dualprompt-prompts');
  return tensorShapes(config).map(([name, shape]) => {
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < values.length; i++) values[i] = (2 * rng.randomSample() - 1) * r;
    return { name, shape, values };
  });
}

function storedPrompts(config: ExperimentConfig, state: MethodState): AdapterTensor[] {
  return tensorShapes(config).map(([name, shape]) => {
    const stored = state.tensors[name];
    if (!stored) throw new Error(`dualprompt: no ${name} stored`);
    return { name, shape, values: Float32Array.from(stored) };
  });
}

/** The E-prompts task `task` trains with the prompt mask, or null once the pool has none left for it. */
function maskOf(o: DualPromptOptions, task: number): number[] | null {
  if (!o.promptMask || (task + 1) * o.topK > o.poolSize) return null;
  return Array.from({ length: o.topK }, (_, k) => task * o.topK + k);
}

/**
 * DualPrompt (Wang et al., "DualPrompt: Complementary Prompting for Rehearsal-free Continual Learning",
 * ECCV 2022; references google-research/l2p, JH-LEE-KR/dualprompt-pytorch, LAMDA-PILOT
 * `models/dualprompt.py`): the pre-trained ViT stays frozen; a G-prompt shared by every task is a prefix of
 * the attention keys and values at the first blocks, and a pool of E-prompts with keys gives prefixes at
 * the next blocks. At training task t uses E-prompt t (the references' prompt mask), which starts as a copy
 * of E-prompt t − 1; at prediction the query (the frozen, un-prompted model's CLS feature) selects the
 * E-prompt by cosine similarity to the keys. The loss is the task-masked cross-entropy minus the surrogate
 * key loss; the head reads the CLS token. Prompts, keys and the head train with Adam at a constant rate.
 */
export const DUALPROMPT: ContinualMethod<'dualprompt'> = {
  id: 'dualprompt',
  label: 'DualPrompt',
  description:
    'frozen ViT, G-prompt (shared) and E-prompts (pool with keys, top-1) as attention prefixes, surrogate key loss',
  singleTask: false,
  linearClassifier: true,
  optionsKey: 'dualprompt',
  configure: (base) => {
    const cfg = structuredClone(base);
    cfg.method = 'dualprompt';
    cfg.stage1.freshFinalNorm = false;
    cfg.alignment = null;
    cfg.dualprompt = structuredClone(base.dualprompt ?? DEFAULT_DUALPROMPT);
    return cfg;
  },
  issues: (config) => {
    const issues: MethodIssue[] = [];
    const o = config.dualprompt;
    const depth = config.arch.depth;
    if (!o) issues.push({ path: 'dualprompt', message: 'method dualprompt needs its dualprompt settings' });
    else {
      if (o.topK > o.poolSize)
        issues.push({
          path: 'dualprompt.topK',
          message: `must be at most dualprompt.poolSize ${o.poolSize}, got ${o.topK}`,
        });
      for (const key of ['gLayers', 'eLayers'] as const) {
        const bad = o[key].find((l) => l >= depth);
        if (bad !== undefined)
          issues.push({
            path: `dualprompt.${key}`,
            message: `block ${bad} does not exist: the backbone has blocks 0..${depth - 1}`,
          });
        if (new Set(o[key]).size !== o[key].length)
          issues.push({ path: `dualprompt.${key}`, message: 'lists a block twice' });
      }
      const both = o.gLayers.find((l) => o.eLayers.includes(l));
      if (both !== undefined)
        issues.push({
          path: 'dualprompt.eLayers',
          message: `block ${both} is also a G-prompt block (each block takes one prefix)`,
        });
    }
    if (config.stage1.freshFinalNorm)
      issues.push({
        path: 'stage1.freshFinalNorm',
        message: 'must be false for method dualprompt (the frozen pre-trained model keeps its final norm)',
      });
    if (config.compute.device === 'onnx')
      issues.push({
        path: 'compute.device',
        message: 'must be wasm for method dualprompt (the onnx device has no prompted forward)',
      });
    return issues;
  },
  fineTunes: () => true,
  initialState: () => ({ tensors: {}, values: {} }),
  stage1Plan(config, task) {
    const o = optionsOf(config);
    const names = new Set([HEAD_WEIGHT, HEAD_BIAS, ...tensorShapes(config).map(([name]) => name)]);
    const mask = maskOf(o, task);
    return {
      lr: (name) => (names.has(name) ? o.lr : 0),
      optimizer: { kind: 'adam', ...DEFAULT_ADAM },
      prompt: promptSpec(o),
      promptBatchwise: o.batchwisePrompt,
      promptQueries: o.queries,
      ...(mask && { promptMask: mask }),
    };
  },
  adapters({ config, task, state, resuming }): AdapterTensor[] {
    const o = optionsOf(config);
    if (!state.tensors[PROMPT_POOL]) {
      if (task !== 0) throw new Error(`dualprompt: no prompts stored at task ${task + 1}`);
      // A run resumed inside the first task takes the values from its checkpoint; only the shapes matter.
      return resuming
        ? initialDualPrompts(config).map((t) => ({ ...t, values: new Float32Array(t.values.length) }))
        : initialDualPrompts(config);
    }
    const tensors = storedPrompts(config, state);
    const mask = maskOf(o, task);
    if (o.sharedPromptPool && mask && task > 0) {
      // The references' _init_prompt: the task's E-prompts start as the previous task's, in every block.
      const pool = tensors.find((t) => t.name === PROMPT_POOL);
      if (!pool) throw new Error('dualprompt: no E-prompt pool');
      const per = o.eLength * config.arch.dim;
      for (let part = 0; part < o.eLayers.length * 2; part++)
        for (const k of mask) {
          const to = (part * o.poolSize + k) * per;
          pool.values.copyWithin(to, to - o.topK * per, to - o.topK * per + per);
        }
    }
    return tensors;
  },
  keepAdapters(state, adapters) {
    // float32 values held exactly in float64 (the state's tensor type).
    for (const a of adapters) state.tensors[a.name] = Float64Array.from(a.values);
  },
  promptedModel(config, state): PromptedModel {
    return { spec: promptSpec(optionsOf(config)), tensors: storedPrompts(config, state) };
  },
};
