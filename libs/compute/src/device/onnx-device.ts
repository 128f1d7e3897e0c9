import type { ComputeDevice, FeatureCallOptions } from './device';
import { addWeighted, GradientScratch, type GradientBatch, type ModelSpec } from './model-step';
import { FeedBuffer, OnnxForward, requireOnnxRuntime } from './onnx-forward';
import { nativeGradientsUnsupported, OnnxTraining } from './onnx-train';

/**
 * The `onnx` device in the calling thread: forward passes (features for statistics and evaluation) and
 * training passes (onnx-vit-train.ts: forward, loss and the hand-written backward as one ONNX graph) run
 * natively on onnxruntime's CPU execution provider (MLAS GEMMs that use AVX-512/AMX, which WebAssembly
 * cannot). Models whose gradients have no native graph (nativeGradientsUnsupported: the contrastive
 * pre-training objective) train on the tfjs device it wraps. With worker threads the same split runs in
 * every worker (WorkerPool.create(…, { forward: 'onnx' })).
 */
export class OnnxDevice implements ComputeDevice {
  private values?: Float32Array;
  private readonly forward: OnnxForward;
  private readonly training: OnnxTraining;
  private native = false;
  private readonly feed = new FeedBuffer();
  private readonly scratch = new GradientScratch();

  constructor(private readonly gradientDevice: ComputeDevice) {
    const ort = requireOnnxRuntime();
    this.forward = new OnnxForward(ort);
    this.training = new OnnxTraining(ort);
  }

  get workers(): number {
    return this.gradientDevice.workers;
  }

  async setModel(spec: ModelSpec, values: Float32Array): Promise<void> {
    await this.gradientDevice.setModel(spec, values);
    await this.forward.setModel(spec);
    this.native = nativeGradientsUnsupported(spec) === null;
    if (this.native) await this.training.setModel(spec);
    this.values = values;
  }

  async gradients(shards: GradientBatch[], grads: Float32Array[]): Promise<number[]> {
    if (!this.native) return this.gradientDevice.gradients(shards, grads);
    if (!this.values) throw new Error('OnnxDevice: setModel() has not been called');
    const values = this.feed.refresh(this.values);
    const losses: number[] = [];
    for (const [i, shard] of shards.entries())
      losses.push(await this.training.gradients(values, shard, grads[i]));
    return losses;
  }

  async gradientsAndSum(
    shards: GradientBatch[],
    weights: readonly number[],
    sum: Float32Array,
  ): Promise<number[]> {
    if (!this.native) return this.gradientDevice.gradientsAndSum(shards, weights, sum);
    if (weights.length !== shards.length) throw new Error('OnnxDevice.gradientsAndSum: one weight per shard');
    if (!this.values) throw new Error('OnnxDevice: setModel() has not been called');
    const values = this.feed.refresh(this.values);
    const g = this.scratch.of(this.values.length);
    const losses: number[] = [];
    for (const [k, shard] of shards.entries()) {
      losses.push(await this.training.gradients(values, shard, g));
      addWeighted(sum, weights[k], g, k === 0);
    }
    return losses;
  }

  async features(
    chunks: { patches: Float32Array; count: number }[],
    options: FeatureCallOptions = {},
  ): Promise<Float32Array[]> {
    // A prompted model's query runs where its prompted training does (onnx has no prompted forward).
    if (options.unprompted) return this.gradientDevice.features(chunks, options);
    if (!this.values) throw new Error('OnnxDevice: setModel() has not been called');
    const values = this.feed.refresh(this.values);
    const out: Float32Array[] = [];
    for (const c of chunks) out.push(await this.forward.features(values, c.patches, c.count));
    return out;
  }

  async close(): Promise<void> {
    await this.forward.release();
    await this.training.release();
    await this.gradientDevice.close();
    this.values = undefined;
    this.scratch.release();
  }
}
