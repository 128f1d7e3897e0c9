import type { BackendName } from '../backend';
import type { GradientBatch, ModelSpec } from './model-step';

export type ToWorker =
  | { type: 'model'; spec: ModelSpec; values: Float32Array }
  | { type: 'grad'; id: number; version: number; batch: GradientBatch; out: Float32Array }
  | { type: 'features'; id: number; version: number; patches: Float32Array; count: number };

export type FromWorker =
  | { type: 'ready'; backend: BackendName }
  | { type: 'done'; id: number; loss?: number; features?: Float32Array }
  | { type: 'error'; id: number; message: string };

export interface WorkerInit {
  backend: BackendName;
}
