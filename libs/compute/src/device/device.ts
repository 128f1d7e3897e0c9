import type { GradientBatch, ModelSpec } from './model-step';

/**
 * Where the heavy tensor work runs: the current thread, or a pool of worker threads (the wasm backend is
 * single-threaded, so using several cores takes several threads). Results never depend on which one runs:
 * callers cut work into a fixed number of shards and sum shard results in a fixed order.
 */
/** How `ComputeDevice.features` reads the installed model. */
export interface FeatureCallOptions {
  /** The backbone's CLS features without the model's prompts (no effect on a model without them). */
  unprompted?: boolean;
}

export interface ComputeDevice {
  readonly workers: number;
  /**
   * Installs the model. `values` is the master copy of the flat parameters; the device reads it at each
   * call, so updates made in place between calls are seen.
   */
  setModel(spec: ModelSpec, values: Float32Array): Promise<void>;
  /** Mean-loss gradient of each shard into grads[i] (same order); returns each shard's loss. */
  gradients(shards: GradientBatch[], grads: Float32Array[]): Promise<number[]>;
  /**
   * Each shard's mean-loss gradient, weighted and added up in shard order into `sum`: exactly
   * `sum.fill(0); for k: for i: sum[i] += weights[k] * g_k[i]`, so the sum is the same whatever the worker
   * count. The per-shard gradients live only in the device's own scratch buffers (one per thread, reused
   * from step to step), never in one buffer per shard. For a pool, `sum` must be shared (sharedFloat32).
   */
  gradientsAndSum(shards: GradientBatch[], weights: readonly number[], sum: Float32Array): Promise<number[]>;
  /**
   * Features for each chunk of patchified images, in order. `unprompted`: a prompted model's backbone
   * without its prompts (the query of L2P and DualPrompt), whatever the installed model's prompt spec.
   */
  features(
    chunks: { patches: Float32Array; count: number }[],
    options?: FeatureCallOptions,
  ): Promise<Float32Array[]>;
  close(): Promise<void>;
}
