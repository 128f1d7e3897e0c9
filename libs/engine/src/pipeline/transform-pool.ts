import type { Worker } from 'node:worker_threads';
import { planTransforms, TransformError, type Mt19937, type RgbImage, type TransformStep } from '@slca/data';
import { spawnModuleWorker } from '@slca/compute';
import type { TransformJob, TransformReply } from './transform-worker-protocol';

interface Pending {
  resolve: (data: Float32Array) => void;
  reject: (error: Error) => void;
}

/** Splits `n` items into at most `parts` contiguous, near-equal ranges [start, end). */
function chunks(n: number, parts: number): [number, number][] {
  const k = Math.min(parts, n);
  return Array.from({ length: k }, (_, i) => [Math.floor((i * n) / k), Math.floor(((i + 1) * n) / k)]);
}

/**
 * Worker threads for the training pipeline, so a fast accelerator is not bound by one CPU thread of
 * JavaScript transforms. Every random choice is still made on the calling thread, image by image in
 * batch order ({@link planTransforms}); the workers only execute the plans. The output, and the rng's
 * state afterwards, are therefore bit-identical to {@link transformBatch}'s whatever the thread count.
 */
export class TransformPool {
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private closed = false;

  private constructor(private readonly workers: Worker[]) {
    for (const worker of workers) {
      worker.on('message', (reply: TransformReply | 'ready') => {
        if (reply === 'ready') return;
        const waiting = this.pending.get(reply.id);
        if (!waiting) return;
        this.pending.delete(reply.id);
        if (reply.ok) waiting.resolve(reply.data);
        else
          waiting.reject(reply.transformError ? new TransformError(reply.message) : new Error(reply.message));
      });
      worker.on('error', (error) => this.failAll(new Error(`a transform worker failed: ${error.message}`)));
      worker.on('exit', (code) => {
        if (!this.closed) this.failAll(new Error(`a transform worker exited unexpectedly (code ${code})`));
      });
    }
  }

  /** Starts `threads` workers (at least 1) and waits until each is ready. */
  static async create(threads: number): Promise<TransformPool> {
    if (!Number.isInteger(threads) || threads < 1)
      throw new RangeError(`TransformPool: threads must be a positive integer, got ${String(threads)}`);
    const workers = Array.from({ length: threads }, () =>
      spawnModuleWorker({
        dir: __dirname,
        callerFile: __filename,
        source: 'transform-worker.ts',
        compiled: ['transform-worker.js'],
      }),
    );
    try {
      await Promise.all(
        workers.map(
          (worker) =>
            new Promise<void>((resolve, reject) => {
              worker.once('error', reject);
              worker.once('exit', (code) =>
                reject(new Error(`a transform worker exited during start-up (code ${code})`)),
              );
              worker.once('message', (msg) => (msg === 'ready' ? resolve() : undefined));
            }),
        ),
      );
    } catch (error) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw error;
    }
    return new TransformPool(workers);
  }

  get threads(): number {
    return this.workers.length;
  }

  /**
   * {@link transformBatch} on the workers: the same [0, 1] NHWC float32 batch, the same draws from `rng`,
   * the same {@link TransformError} naming the image when a pipeline does not produce size×size.
   * With `transfer`, the images' buffers move to the workers instead of being copied (they are detached
   * here afterwards): for decoded batches that are not needed again, this is most of the speed-up.
   */
  async transformBatch(
    images: readonly RgbImage[],
    steps: readonly TransformStep[],
    rng: Mt19937,
    size: number,
    options: { transfer?: boolean } = {},
  ): Promise<Float32Array> {
    if (this.closed) throw new Error('TransformPool: used after close()');
    const plans = images.map((image) => planTransforms(image.width, image.height, steps, rng));
    const per = size * size * 3;
    const out = new Float32Array(images.length * per);
    const parts = chunks(images.length, this.workers.length);
    const results = await Promise.allSettled(
      parts.map(([start, end], k) => {
        const job: TransformJob = {
          id: this.nextId++,
          first: start,
          size,
          images: images.slice(start, end),
          plans: plans.slice(start, end),
        };
        return new Promise<Float32Array>((resolve, reject) => {
          this.pending.set(job.id, { resolve, reject });
          const buffers = options.transfer
            ? [...new Set(job.images.map((image) => image.data.buffer))].filter(
                (b): b is ArrayBuffer => b instanceof ArrayBuffer,
              )
            : [];
          this.workers[k].postMessage(job, buffers);
        });
      }),
    );
    // The first failing image in batch order, as the inline path would report it.
    for (const result of results) if (result.status === 'rejected') throw result.reason;
    results.forEach((result, k) => {
      if (result.status === 'fulfilled') out.set(result.value, parts[k][0] * per);
    });
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.failAll(new Error('TransformPool closed'));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private failAll(error: Error): void {
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }
}
