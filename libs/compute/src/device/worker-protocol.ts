import type { BackendName } from '../backend';
import type { GradientBatch, ModelSpec } from './model-step';

/**
 * A step's weighted gradient sum, added up by the workers in shard order: the worker that holds shard k
 * computes its gradient into its own scratch buffer, waits for the sum's turn to reach k (a shared counter),
 * adds weights[k]·g_k, and passes the turn on; so the sum is the same whatever the worker count, and no
 * buffer per shard is kept.
 */
export interface ReduceTask {
  /** Every shard's weight, in shard order. */
  weights: number[];
  /** The step's index of each shard of this message. */
  shards: number[];
  /** The weighted sum (shared). */
  sum: Float32Array;
  /** sync[0]: shards added to the sum so far (whose turn it is); sync[1]: non-zero once a shard failed. */
  sync: Int32Array;
}

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
