import type { Worker } from 'node:worker_threads';
import type { BackendName } from '../backend';
import { spawnModuleWorker } from './spawn-worker';
import type { ComputeDevice, FeatureCallOptions } from './device';
import type { GradientBatch, ModelSpec } from './model-step';
import {
  SUM_BLOCKS,
  type ForwardEngine,
  type FromWorker,
  type ReduceTask,
  type ToWorker,
  type WorkerInit,
} from './worker-protocol';

/**
 * The worker entry: the TypeScript source through tsx's require hook (development, tests), or the compiled
 * file next to this module (bundled apps).
 */
function spawnWorker(init: WorkerInit): Worker {
  return spawnModuleWorker({
    dir: __dirname,
    callerFile: __filename,
    source: 'worker.ts',
    compiled: ['compute-worker.js', 'worker.js'],
    workerData: init,
  });
}

interface Pending {
  resolve: (msg: FromWorker & { type: 'done' }) => void;
  reject: (e: Error) => void;
}

/** Data-parallel compute on worker threads that share the parameter buffer with the caller. */
export class WorkerPool implements ComputeDevice {
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private version = 0;
  private failure?: Error;
  /** The gradient sum's failure flag and block turns (ReduceTask.sync), reset at each step. */
  private readonly sync = new Int32Array(new SharedArrayBuffer(4 * (1 + SUM_BLOCKS)));

  private constructor(private readonly threads: Worker[]) {
    for (const w of threads) {
      w.on('message', (msg: FromWorker) => this.onMessage(msg));
      w.on('error', (e) => this.failAll(e));
      w.on('exit', (code) => {
        if (code !== 0) this.failAll(new Error(`compute worker exited with code ${code}`));
      });
    }
  }

  get workers(): number {
    return this.threads.length;
  }

  /** `forward: 'onnx'` runs forward passes on onnxruntime in each worker (the `onnx` device). */
  static async create(
    workers: number,
    backend: BackendName,
    options: { forward?: ForwardEngine } = {},
  ): Promise<WorkerPool> {
    if (!Number.isInteger(workers) || workers < 1)
      throw new Error(`workers must be a positive integer, got ${workers}`);
    const threads = Array.from({ length: workers }, () => spawnWorker({ backend, forward: options.forward }));
    await Promise.all(
      threads.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            const onMessage = (msg: FromWorker) => {
              w.off('message', onMessage);
              if (msg.type === 'ready' && msg.backend === backend) resolve();
              else if (msg.type === 'ready')
                reject(new Error(`compute worker runs '${msg.backend}', expected '${backend}'`));
              else
                reject(
                  new Error(
                    `compute worker failed to start: ${msg.type === 'error' ? msg.message : msg.type}`,
                  ),
                );
            };
            w.on('message', onMessage);
            w.once('error', reject);
          }),
      ),
    ).catch(async (e) => {
      await Promise.all(threads.map((t) => t.terminate()));
      throw e;
    });
    return new WorkerPool(threads);
  }

  private onMessage(msg: FromWorker) {
    if (msg.type === 'ready') return;
    const p = this.pending.get(msg.id);
    if (!p) {
      if (msg.type === 'error') this.failAll(new Error(msg.message));
      return;
    }
    this.pending.delete(msg.id);
    if (msg.type === 'error') p.reject(new Error(msg.message));
    else p.resolve(msg);
  }

  private failAll(e: Error) {
    this.failure ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  private call(worker: number, msg: ToWorker, transfer: ArrayBuffer[] = []) {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<FromWorker & { type: 'done' }>((resolve, reject) => {
      if (msg.type !== 'model') this.pending.set(msg.id, { resolve, reject });
      this.threads[worker].postMessage(msg, transfer);
    });
  }

  async setModel(spec: ModelSpec, values: Float32Array): Promise<void> {
    if (!(values.buffer instanceof SharedArrayBuffer)) {
      throw new Error('WorkerPool.setModel: parameters must live in a SharedArrayBuffer (see sharedFloat32)');
    }
    for (const w of this.threads) w.postMessage({ type: 'model', spec, values } satisfies ToWorker);
  }

  async gradients(shards: GradientBatch[], grads: Float32Array[]): Promise<number[]> {
    if (grads.length < shards.length) throw new Error('WorkerPool.gradients: one gradient buffer per shard');
    for (const g of grads.slice(0, shards.length)) {
      if (!(g.buffer instanceof SharedArrayBuffer))
        throw new Error('WorkerPool.gradients: gradient buffers must be shared');
    }
    return this.runGradients(shards, (ks) => ({ outs: ks.map((k) => grads[k]) }));
  }

  async gradientsAndSum(
    shards: GradientBatch[],
    weights: readonly number[],
    sum: Float32Array,
  ): Promise<number[]> {
    if (weights.length !== shards.length) throw new Error('WorkerPool.gradientsAndSum: one weight per shard');
    if (!(sum.buffer instanceof SharedArrayBuffer))
      throw new Error('WorkerPool.gradientsAndSum: the sum buffer must be shared');
    for (let i = 0; i < this.sync.length; i++) Atomics.store(this.sync, i, 0);
    return this.runGradients(shards, (ks) => ({
      reduce: { weights: [...weights], shards: ks, sum, sync: this.sync },
    }));
  }

  /** One message per worker with all of its shards (shard k goes to worker k mod workers), in shard order. */
  private async runGradients(
    shards: GradientBatch[],
    target: (ks: number[]) => { outs?: Float32Array[]; reduce?: ReduceTask },
  ): Promise<number[]> {
    const version = ++this.version;
    const active = Math.min(this.threads.length, shards.length);
    const assigned = Array.from({ length: active }, (_, w) =>
      shards.map((_, k) => k).filter((k) => k % active === w),
    );
    // Every worker settles before the step does, failed or not: a worker still busy with a failed step
    // would otherwise meet the next step's sum (shared buffers, a shared turn counter).
    const settled = await Promise.allSettled(
      assigned.map((ks, w) =>
        this.call(w, {
          type: 'grad',
          id: this.nextId++,
          version,
          batches: ks.map((k) => shards[k]),
          ...target(ks),
        }),
      ),
    );
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const results = settled.map((r) => (r as PromiseFulfilledResult<FromWorker & { type: 'done' }>).value);
    const losses = new Array<number>(shards.length).fill(Number.NaN);
    assigned.forEach((ks, w) => ks.forEach((k, j) => (losses[k] = results[w].losses?.[j] ?? Number.NaN)));
    return losses;
  }

  async features(
    chunks: { patches: Float32Array; count: number }[],
    options: FeatureCallOptions = {},
  ): Promise<Float32Array[]> {
    const version = ++this.version;
    const results = await Promise.all(
      chunks.map((c, i) =>
        this.call(i % this.threads.length, {
          type: 'features',
          id: this.nextId++,
          version,
          patches: c.patches,
          count: c.count,
          ...(options.unprompted && { unprompted: true }),
        }),
      ),
    );
    return results.map((r) => r.features as Float32Array);
  }

  async close(): Promise<void> {
    this.failAll(new Error('worker pool closed'));
    await Promise.all(this.threads.map((t) => t.terminate()));
  }
}
