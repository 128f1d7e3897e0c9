import type { ModelSpec, VitArch, PromptQueries, PromptSpec } from '@slca/compute';
import type { ExperimentConfig } from '../slca/config';
import type { Head } from '../slca/heads';
import type { AdamOptions } from '../train/adam';

/**
 * A continual-learning method, as the experiment runner (`runExperiment`) drives it. The runner owns the
 * loop, the random streams, checkpoints and evaluation; a method says, per task, whether stage 1
 * (fine-tuning the backbone and a new linear head, docs/method.md §8) runs, what it builds from the new
 * classes' features afterwards (prototypes, Gram matrices), what it keeps between tasks (its `MethodState`,
 * which goes in every checkpoint), and how its heads are read at prediction (directly on the backbone's
 * features, or after a feature map such as RanPAC's random projection). Classifier alignment
 * (docs/method.md §10) is not a method but a plug-in: the experiment's `alignment` settings, accepted for
 * every method whose classifier is linear over the backbone's features.
 *
 * Each method lives in its own folder under `libs/engine/src/methods/` and registers itself in
 * `methods/registry.ts`; the catalogue, the schema, the CLI, the trainer's GetCatalog and the dashboard
 * list what the registry holds. docs/methods.md describes every method and its options.
 */
export interface ContinualMethod<Id extends string = string> {
  readonly id: Id;
  /** Short name in tables (`SLCA`, `RanPAC`). */
  readonly label: string;
  /** One line: what the method does. */
  readonly description: string;
  /** Every class in one task (the upper bound); the split then has a single task. */
  readonly singleTask: boolean;
  /**
   * The classifier is a linear head per task over the backbone's features, so classifier alignment can
   * follow it (`alignment` not null). False for a method whose heads read another feature space.
   */
  readonly linearClassifier: boolean;
  /** The experiment field holding the method's own settings (`ranpac`), if it has any. */
  readonly optionsKey?: keyof ExperimentConfig;
  /** Whether the method itself is defined with classifier alignment (SLCA): `alignment` is then required. */
  readonly alignmentRequired?: boolean;
  /**
   * The method's rules and defaults applied to a benchmark's base configuration (the embedded and paper
   * configurations are built this way, and the trainer re-applies it after overrides). Must not drop
   * settings the method owns that are already present (a file's or an override's values).
   */
  configure(base: ExperimentConfig): ExperimentConfig;
  /** What in a configuration contradicts the method, each with its field path; empty when it can run. */
  issues(config: ExperimentConfig): MethodIssue[];
  /** Whether stage 1 (SGD on the backbone and a new head, docs/method.md §8) runs at `task`. */
  fineTunes(config: ExperimentConfig, task: number): boolean;
  /**
   * After stage 1 of a task, or instead of it: builds the classifier of the new classes (prototypes,
   * a ridge solution) from the task's training features and the method's state. Without it, the stage-1
   * head is the task's head. It must leave one head per completed task in `context.heads`.
   */
  learnTask?(context: TaskContext): Promise<void>;
  /** The method's state before the first task (see {@link MethodState}). */
  initialState?(config: ExperimentConfig, classes: number): MethodState;
  /** What the heads read at prediction when not the backbone's features (RanPAC's projection). */
  featureMap?(config: ExperimentConfig): FeatureMap | null;
  /**
   * How stage 1 trains, when not as the SLCA family does (two groups, backbone and head, MultiStep): each
   * tensor's learning rate per epoch (0 freezes it), the loss, and LoRA. SLCA++ trains a subset with a
   * cosine schedule and the symmetric cross-entropy.
   */
  stage1Plan?(config: ExperimentConfig, task: number): Stage1Plan;
  /**
   * Tensors the method trains beside the backbone in stage 1 (SLCA++'s LoRA), placed after the backbone in
   * the task's model, with their values at the start of `task` (from the method's state, or initialised
   * from the backbone at the first task). `keepAdapters` stores them back after stage 1. A long
   * initialisation may be asynchronous, reporting through `context.onProgress` between its parts.
   */
  adapters?(context: AdapterContext): AdapterTensor[] | Promise<AdapterTensor[]>;
  keepAdapters?(state: MethodState, adapters: readonly AdapterTensor[]): void;
  /**
   * The plain backbone that features and evaluation read (SLCA++: the LoRA merged into the qkv weights),
   * so that every device and the evaluator see an ordinary ViT.
   */
  mergedBackbone?(config: ExperimentConfig, backbone: Float32Array, state: MethodState): Float32Array;
  /** SLCA++: alignment scales each sampled feature by 1/(1 + s·(t − t_c)), s ~ U(mu − spread/2, mu + spread/2). */
  alignmentFeatureScale?(config: ExperimentConfig): { mu: number; spread: number } | null;
  /**
   * Prompted methods (L2P, DualPrompt): the prompt tensors (`prompt.pool`, `prompt.keys`, …) as they are
   * in the method's state after a task, which features and evaluation read with the backbone through the
   * prompted forward of `stage1Plan(…).prompt`. The runner and the evaluator take them from here, never by
   * method name.
   */
  promptedModel?(config: ExperimentConfig, state: MethodState): PromptedModel;
  /** The heads evaluation reads after task `task` (SLCA++ scales the old heads' inputs). */
  inferenceHeads?(config: ExperimentConfig, heads: readonly Head[], task: number): Head[];
}

export interface Stage1Plan {
  /** The learning rate of a tensor of the task's model (by layout name) at `epoch`; 0: not trained. */
  lr(name: string, epoch: number): number;
  objective?: ModelSpec['objective'];
  lora?: ModelSpec['lora'];
  /** The optimizer: SGD with stage1's momentum and weight decay (the default), or Adam (L2P). */
  optimizer?: { kind: 'adam' } & AdamOptions;
  /**
   * A prompted forward (L2P, DualPrompt): the prompt tensors come from `adapters`; the queries come from
   * the frozen backbone as `promptQueries` says (docs/methods.md).
   */
  prompt?: PromptSpec;
  /** With `prompt`: every image of a batch uses the prompts chosen most often across the batch. */
  promptBatchwise?: boolean;
  /**
   * With `prompt`: at training every image uses these prompts instead of its selection (DualPrompt's
   * `use_prompt_mask`: the task's own E-prompt); the key loss then pulls their keys.
   */
  promptMask?: number[];
  /**
   * Where a prompted model's training queries come from: the frozen backbone's features of this step's
   * augmented batch (`per-step`, the references), or of the un-augmented images once per task
   * (`once-per-task`, the default when absent; the same queries when the batch is not augmented).
   */
  promptQueries?: PromptQueries;
}

/** What a prompted method's features and predictions read besides the backbone. */
export interface PromptedModel {
  spec: PromptSpec;
  tensors: AdapterTensor[];
}

export interface AdapterContext {
  config: ExperimentConfig;
  arch: VitArch;
  task: number;
  /** The backbone as it is at the start of the task (engine layout, `backboneLayout(arch)`). */
  backbone: Float32Array;
  state: MethodState;
  /** Resuming inside this task's stage 1: the checkpoint supplies the values, only the shapes matter. */
  resuming: boolean;
  /**
   * Where a method whose initialisation takes a while (SLCA++'s SVDs on ViT-B) reports it: `done` of
   * `total` parts finished; the runner shows it as the `adapters` progress phase.
   */
  onProgress?: (done: number, total: number) => void;
}

export interface AdapterTensor {
  name: string;
  shape: number[];
  values: Float32Array;
}

export interface MethodIssue {
  /** Dotted field path in the experiment (`alignment`, `ranpac.projectionDim`). */
  path: string;
  message: string;
}

/**
 * What a method keeps between tasks besides the heads, bit for bit in every checkpoint: float64 arrays
 * (statistics accumulated in double precision: RanPAC's Gram matrix) and JSON values (the λ chosen per
 * task). A resumed run gets back exactly what the method had at that point.
 */
export interface MethodState {
  tensors: Record<string, Float64Array>;
  values: Record<string, number[]>;
}

export function emptyMethodState(): MethodState {
  return { tensors: {}, values: {} };
}

export function cloneMethodState(state: MethodState): MethodState {
  return {
    tensors: Object.fromEntries(Object.entries(state.tensors).map(([k, v]) => [k, v.slice()])),
    values: structuredClone(state.values),
  };
}

/** What `learnTask` gets: the task, its data, the heads so far and the method's state (both mutable). */
export interface TaskContext {
  task: number;
  config: ExperimentConfig;
  arch: VitArch;
  /** Class counts of every task of the run (class-order labels: task t holds [known, total)). */
  sizes: readonly number[];
  known: number;
  total: number;
  /** The task's training rows, in training-set order. */
  rows: readonly number[];
  /** The class-order label of every training row (indexed by row, not by position in `rows`). */
  labels: Int32Array;
  /**
   * Features (CLS after the final norm, [rows.length, arch.dim]) of the task's training images, un-augmented
   * (the test transform), from the backbone as it is after this task's stage 1: the same features the
   * class statistics use, computed once per task.
   */
  features(): Promise<Float32Array>;
  /** The heads of the completed tasks and, when stage 1 ran at this task, its trained head (last). */
  heads: Head[];
  state: MethodState;
  /** Progress of a long step (the ridge regression), as the runner reports it. */
  onProgress?(message: { step: number; steps: number }): void;
}

/**
 * The map from the backbone's features to what the heads read: h = ReLU(f · W) with W [inDim, outDim]
 * (row-major), RanPAC's random projection. It depends only on the configuration (seeded), so it is never
 * stored: every reader derives the same one.
 */
export interface FeatureMap {
  kind: 'random-relu';
  inDim: number;
  outDim: number;
  weight: Float32Array;
}
