import type { GradientBatch, ModelSpec } from './model-step';

/**
 * Where the heavy tensor work runs: the current thread, or a pool of worker threads (the wasm backend is
 * single-threaded, so using several cores takes several threads). Results never depend on which one runs:
 * callers cut work into a fixed number of shards and sum shard results in a fixed order.
 */
export interface ComputeDevice {
  readonly workers: number;
  /**
   * Installs the model. `values` is the master copy of the flat parameters; the device reads it at each
   * call, so updates made in place between calls are seen.
   */
  setModel(spec: ModelSpec, values: Float32Array): Promise<void>;
  /** Mean-loss gradient of each shard into grads[i] (same order); returns each shard's loss. */
  gradients(shards: GradientBatch[], grads: Float32Array[]): Promise<number[]>;
  /** Features for each chunk of patchified images, in order. */
  features(chunks: { patches: Float32Array; count: number }[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}
