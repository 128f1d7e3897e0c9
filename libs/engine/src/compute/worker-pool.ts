import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BackendName } from '../backend';
import type { ComputeDevice } from './device';
import type { GradientBatch, ModelSpec } from './model-step';
import type { FromWorker, ToWorker, WorkerInit } from './worker-protocol';

/**
 * The worker entry: the TypeScript source through tsx's require hook (development, tests), or the compiled
 * file next to this module (bundled apps).
 */
function spawnWorker(init: WorkerInit): Worker {
  const ts = join(__dirname, 'worker.ts');
  if (__filename.endsWith('.ts') && existsSync(ts)) {
    const hook = require.resolve('tsx/cjs/api');
    const boot = `require(${JSON.stringify(hook)}).register(); require(${JSON.stringify(ts)});`;
    return new Worker(boot, { eval: true, workerData: init });
  }
  for (const candidate of [join(__dirname, 'compute-worker.js'), join(__dirname, 'worker.js')]) {
    if (existsSync(candidate)) return new Worker(candidate, { workerData: init });
  }
  throw new Error(`compute worker script not found next to ${__filename}`);
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

  static async create(workers: number, backend: BackendName): Promise<WorkerPool> {
    if (!Number.isInteger(workers) || workers < 1)
      throw new Error(`workers must be a positive integer, got ${workers}`);
    const threads = Array.from({ length: workers }, () => spawnWorker({ backend }));
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
    const version = ++this.version;
    const results = await Promise.all(
      shards.map((batch, i) => {
        if (!(grads[i].buffer instanceof SharedArrayBuffer))
          throw new Error('WorkerPool.gradients: gradient buffers must be shared');
        return this.call(i % this.threads.length, {
          type: 'grad',
          id: this.nextId++,
          version,
          batch,
          out: grads[i],
        });
      }),
    );
    return results.map((r) => r.loss ?? Number.NaN);
  }

  async features(chunks: { patches: Float32Array; count: number }[]): Promise<Float32Array[]> {
    const version = ++this.version;
    const results = await Promise.all(
      chunks.map((c, i) =>
        this.call(i % this.threads.length, {
          type: 'features',
          id: this.nextId++,
          version,
          patches: c.patches,
          count: c.count,
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
