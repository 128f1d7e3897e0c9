import { HEAD_BIAS, HEAD_WEIGHT, PROMPT_KEYS, PROMPT_POOL, type PromptSpec } from '@slca/compute';
import type { ExperimentConfig } from '../../slca/config';
import { streamRng } from '../../slca/streams';
import { DEFAULT_ADAM } from '../../train/adam';
import type { AdapterTensor, ContinualMethod, MethodIssue, MethodState, PromptedModel } from '../method';
import { DEFAULT_L2P, type L2pOptions } from './options';

function optionsOf(config: ExperimentConfig): L2pOptions {
  if (!config.l2p) throw new Error('method l2p needs its l2p settings');
  return config.l2p;
}

function promptSpec(o: L2pOptions): PromptSpec {
  return {
    kind: 'prompt-tuning',
    pool: o.poolSize,
    length: o.promptLength,
    topK: o.topK,
    readout: o.readout,
    keyLossWeight: o.keyLossWeight,
  };
}

const shapes = (o: L2pOptions, dim: number) => ({
  [PROMPT_POOL]: [o.poolSize, o.promptLength, dim],
  [PROMPT_KEYS]: [o.poolSize, dim],
});

/** The pool and keys before the first task: uniform in [−r, r] from the seed's own stream (re-derivable). */
export function initialPrompts(config: ExperimentConfig): AdapterTensor[] {
  const o = optionsOf(config);
  const rng = streamRng(config.seed, 'l2p-prompts');
  return Object.entries(shapes(o, config.arch.dim)).map(([name, shape]) => {
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < values.length; i++) values[i] = (2 * rng.randomSample() - 1) * o.initRange;
    return { name, shape, values };
  });
}

function storedPrompts(config: ExperimentConfig, state: MethodState): AdapterTensor[] {
  const o = optionsOf(config);
  return Object.entries(shapes(o, config.arch.dim)).map(([name, shape]) => {
    const stored = state.tensors[name];
    if (!stored) throw new Error(`l2p: no ${name} stored`);
    return { name, shape, values: Float32Array.from(stored) };
  });
}

/**
 * L2P (Wang et al., "Learning to Prompt for Continual Learning", CVPR 2022; references google-research/l2p,
 * JH-LEE-KR/l2p-pytorch, LAMDA-PILOT `models/l2p.py`): the pre-trained ViT stays frozen; a pool of prompts
 * with learnable keys is shared by every task. An image's query is the CLS feature of the frozen,
 * un-prompted model; it selects the top-k prompts by cosine similarity to their keys, whose tokens are
 * inserted after the CLS token (prompt tuning at the input, position embedding the CLS token's). The loss
 * is the task-masked cross-entropy minus the surrogate key loss (selected keys pulled toward the query);
 * the head reads the mean of the prompt tokens' outputs. Prompts, keys and the head train with Adam at a
 * constant rate; the prompts and keys are the method's state (in every checkpoint).
 *
 * Class masking: the references train one head over every class with the logits outside the current task
 * set to −∞; their columns then get no gradient, so that is exactly this platform's new linear head per
 * task trained on the task's classes.
 */
export const L2P: ContinualMethod<'l2p'> = {
  id: 'l2p',
  label: 'L2P',
  description:
    'frozen ViT, prompt pool with key matching (top-k by cosine) as input prompts, surrogate key loss',
  singleTask: false,
  linearClassifier: true,
  optionsKey: 'l2p',
  configure: (base) => {
    const cfg = structuredClone(base);
    cfg.method = 'l2p';
    cfg.stage1.freshFinalNorm = false;
    cfg.alignment = null;
    cfg.l2p = structuredClone(base.l2p ?? DEFAULT_L2P);
    return cfg;
  },
  issues: (config) => {
    const issues: MethodIssue[] = [];
    const o = config.l2p;
    if (!o) issues.push({ path: 'l2p', message: 'method l2p needs its l2p settings' });
    else if (o.topK > o.poolSize)
      issues.push({ path: 'l2p.topK', message: `must be at most l2p.poolSize ${o.poolSize}, got ${o.topK}` });
    if (config.stage1.freshFinalNorm)
      issues.push({
        path: 'stage1.freshFinalNorm',
        message: 'must be false for method l2p (the frozen pre-trained model keeps its final norm)',
      });
    if (config.compute.device === 'onnx')
      issues.push({
        path: 'compute.device',
        message: 'must be wasm for method l2p (the onnx device has no prompted forward)',
      });
    return issues;
  },
  fineTunes: () => true,
  initialState: () => ({ tensors: {}, values: {} }),
  stage1Plan(config) {
    const o = optionsOf(config);
    const trains = (name: string) =>
      name === HEAD_WEIGHT || name === HEAD_BIAS || name === PROMPT_POOL || name === PROMPT_KEYS;
    return {
      lr: (name) => (trains(name) ? o.lr : 0),
      optimizer: { kind: 'adam', ...DEFAULT_ADAM },
      prompt: promptSpec(o),
      promptBatchwise: o.batchwisePrompt,
      promptQueries: o.queries,
    };
  },
  adapters({ config, task, state, resuming }): AdapterTensor[] {
    if (state.tensors[PROMPT_POOL]) return storedPrompts(config, state);
    if (task !== 0) throw new Error(`l2p: no prompts stored at task ${task + 1}`);
    // A run resumed inside the first task takes the values from its checkpoint; only the shapes matter.
    return resuming
      ? initialPrompts(config).map((t) => ({ ...t, values: new Float32Array(t.values.length) }))
      : initialPrompts(config);
  },
  keepAdapters(state, adapters) {
    // float32 values held exactly in float64 (the state's tensor type).
    for (const a of adapters) state.tensors[a.name] = Float64Array.from(a.values);
  },
  promptedModel(config, state): PromptedModel {
    return { spec: promptSpec(optionsOf(config)), tensors: storedPrompts(config, state) };
  },
};
