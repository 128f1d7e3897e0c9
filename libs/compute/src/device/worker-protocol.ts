import type { BackendName } from '../backend';
import type { GradientBatch, ModelSpec } from './model-step';

/**
 * A step's weighted gradient sum, added up by the workers in shard order: the worker that holds shard k
 * computes its gradient into its own scratch buffer, then goes through the sum's blocks in order, waiting
 * at each until the block's turn reaches k (a shared counter per block), adding weights[k]·g_k there and
 * passing that block's turn on. So the sum is the same whatever the worker count, no buffer per shard is
 * kept, and shard k + 1 adds its first blocks while shard k adds its last ones.
 */
export interface ReduceTask {
  /** Every shard's weight, in shard order. */
  weights: number[];
  /** The step's index of each shard of this message. */
  shards: number[];
  /** The weighted sum (shared). */
  sum: Float32Array;
  /**
   * sync[0]: non-zero once a shard failed; sync[1 + b]: shards added to block b of the sum so far (whose
   * turn it is there), for the SUM_BLOCKS blocks.
   */
  sync: Int32Array;
}

/** The blocks a gradient sum is added up in (block b: [⌊b·n/B⌋, ⌊(b+1)·n/B⌋) of n values). */
export const SUM_BLOCKS = 32;

export type ToWorker =
  | { type: 'model'; spec: ModelSpec; values: Float32Array }
  | {
      type: 'grad';
      id: number;
      version: number;
      batches: GradientBatch[];
      /** Shared: each batch's gradient (`gradients`); or, with `reduce`, none (`gradientsAndSum`). */
      outs?: Float32Array[];
      reduce?: ReduceTask;
    }
  | {
      type: 'features';
      id: number;
      version: number;
      patches: Float32Array;
      count: number;
      /** A prompted model's backbone without its prompts (FeatureCallOptions.unprompted). */
      unprompted?: boolean;
    };

export type FromWorker =
  | { type: 'ready'; backend: BackendName }
  | { type: 'done'; id: number; losses?: number[]; features?: Float32Array }
  | { type: 'error'; id: number; message: string };

/** Where a device's forward passes run: tfjs (the backend) or onnxruntime (the `onnx` device). */
export type ForwardEngine = 'tfjs' | 'onnx';

export interface WorkerInit {
  backend: BackendName;
  /** Default 'tfjs'. */
  forward?: ForwardEngine;
}
