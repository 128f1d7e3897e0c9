import type { BackendName } from '../backend';
import type { GradientBatch, ModelSpec } from './model-step';

/**
 * After its shards, a worker adds up a slice [start, end) of the weighted gradient sum — once every shard
 * of the step is done (a barrier on a shared counter), in shard order, so the sum is the same whatever
 * the worker count.
 */
export interface ReduceTask {
  weights: number[];
  /** Every shard's gradient buffer, in shard order (shared). */
  grads: Float32Array[];
  /** The weighted sum (shared). */
  sum: Float32Array;
  start: number;
  end: number;
  /** Shared counter of finished shards; the barrier opens at `shards`. */
  sync: Int32Array;
  shards: number;
}

export type ToWorker =
  | { type: 'model'; spec: ModelSpec; values: Float32Array }
  | {
      type: 'grad';
      id: number;
      version: number;
      batches: GradientBatch[];
      outs: Float32Array[];
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
