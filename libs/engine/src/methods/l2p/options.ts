import { z } from 'zod';
import { PROMPT_QUERIES, type PromptQueries } from '@slca/compute';

/** L2P's settings (`l2p` in the experiment; docs/methods.md). Defaults: LAMDA-PILOT `exps/l2p.json`. */
export interface L2pOptions {
  /** Prompts in the pool (the reference's `size`: 10). */
  poolSize: number;
  /** Tokens per prompt (`length`: 5). */
  promptLength: number;
  /** Prompts each image uses, the most cosine-similar keys to its query (`top_k`: 5). */
  topK: number;
  /** Weight of the surrogate key loss, CE − w · Σ cos(query, selected keys) / B (`pull_constraint_coeff`). */
  keyLossWeight: number;
  /**
   * At training, every image of a batch uses the top-k prompts chosen most often across the batch (the
   * references' `batchwise_prompt: true`; the paper selects per image). Prediction always selects per image.
   */
  batchwisePrompt: boolean;
  /**
   * What the head reads: the mean of the prompt tokens' outputs after the final norm (`head_type:
   * prompt`, the references), or the CLS token's (`token`).
   */
  readout: 'prompt-mean' | 'cls';
  /** Adam's learning rate for prompts, keys and the head, constant (`init_lr`: 0.03 × 16 / 256). */
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

export const DEFAULT_L2P: L2pOptions = {
  poolSize: 10,
  promptLength: 5,
  topK: 5,
  keyLossWeight: 0.1,
  batchwisePrompt: true,
  readout: 'prompt-mean',
  lr: 0.001875,
  initRange: 1,
  queries: 'per-step',
};

export const l2pOptionsSchema = z.strictObject({
  poolSize: z.number().int().positive(),
  promptLength: z.number().int().positive(),
  topK: z.number().int().positive(),
  keyLossWeight: z.number().finite().nonnegative(),
  batchwisePrompt: z.boolean(),
  readout: z.enum(['prompt-mean', 'cls']),
  lr: z.number().finite().positive(),
  initRange: z.number().finite().positive(),
  /** Absent in files written before it existed: the references' per-step queries. */
  queries: z.enum(PROMPT_QUERIES).default('per-step'),
});
