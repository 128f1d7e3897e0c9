import { z } from 'zod';
import { PROMPT_QUERIES, type PromptQueries } from '@slca/compute';

/**
 * DualPrompt's settings (`dualprompt` in the experiment; docs/methods.md). Defaults: LAMDA-PILOT
 * `exps/dualprompt.json` (JH-LEE-KR/dualprompt-pytorch's CIFAR-100 configuration but for the key-loss weight
 * and the learning rate).
 */
export interface DualPromptOptions {
  /** Blocks whose attention gets the G-prompt prefix (`g_prompt_layer_idx`: [0, 1]). */
  gLayers: number[];
  /** G-prompt length: prefix keys and values per block (`g_prompt_length`: 5). */
  gLength: number;
  /** Blocks whose attention gets the selected E-prompts' prefixes (`e_prompt_layer_idx`: [2, 3, 4]). */
  eLayers: number[];
  /** E-prompts in the pool, each with a key (`size`: 10). */
  poolSize: number;
  /** E-prompt length (`length`: 5). */
  eLength: number;
  /** E-prompts per image, by cosine similarity of query and keys (`top_k`: 1). */
  topK: number;
  /** Weight of the surrogate key loss (`pull_constraint_coeff`: 0.1; dualprompt-pytorch: 1.0). */
  keyLossWeight: number;
  /**
   * At training, task t uses E-prompt t instead of the query's choice while the pool has one for it
   * (`use_prompt_mask: true`); prediction always selects by the query.
   */
  promptMask: boolean;
  /** At the start of task t > 0, E-prompt t starts as a copy of E-prompt t − 1 (`shared_prompt_pool`). */
  sharedPromptPool: boolean;
  /** Batch-wise selection where the query selects at training (`batchwise_prompt`; see L2P). */
  batchwisePrompt: boolean;
  /** Adam's learning rate for the prompts, keys and head, constant (`init_lr`: 0.001). */
  lr: number;
  /** Prompts and keys start uniform in [−initRange, initRange] (`initializer: uniform`: 1). */
  initRange: number;
  /**
   * Where the training queries come from: the frozen, un-prompted model's features of each step's
   * augmented batch (`per-step`, the references: `original_model(input)` on the batch being trained), or of
   * the task's images un-augmented, computed once per task (`once-per-task`: faster; the same queries when
   * stage1.augment is null). Prediction always computes each image's own query.
   */
  queries: PromptQueries;
}

export const DEFAULT_DUALPROMPT: DualPromptOptions = {
  gLayers: [0, 1],
  gLength: 5,
  eLayers: [2, 3, 4],
  poolSize: 10,
  eLength: 5,
  topK: 1,
  keyLossWeight: 0.1,
  promptMask: true,
  sharedPromptPool: true,
  batchwisePrompt: true,
  lr: 0.001,
  initRange: 1,
  queries: 'per-step',
};

const layers = z.array(z.number().int().nonnegative());

export const dualPromptOptionsSchema = z.strictObject({
  gLayers: layers,
  gLength: z.number().int().positive(),
  eLayers: layers.min(1),
  poolSize: z.number().int().positive(),
  eLength: z.number().int().positive(),
  topK: z.number().int().positive(),
  keyLossWeight: z.number().finite().nonnegative(),
  promptMask: z.boolean(),
  sharedPromptPool: z.boolean(),
  batchwisePrompt: z.boolean(),
  lr: z.number().finite().positive(),
  initRange: z.number().finite().positive(),
  /** Absent in files written before it existed: the references' per-step queries. */
  queries: z.enum(PROMPT_QUERIES).default('per-step'),
});
