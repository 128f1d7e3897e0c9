import type { ComputeDevice, FeatureCallOptions } from './device';
import type { GradientBatch, ModelSpec } from './model-step';
import { OnnxForward, requireOnnxRuntime } from './onnx-forward';

/**
 * The `onnx` device in the calling thread: forward passes (features for statistics and evaluation) run
 * natively on onnxruntime's CPU execution provider (MLAS GEMMs that use AVX-512/AMX, which WebAssembly
 * cannot); gradients are delegated to the tfjs device it wraps (onnxruntime has no training API in Node,
 * and the engine's backward pass is not yet an ONNX graph). With worker threads the same
 * split runs in every worker (WorkerPool.create(…, { forward: 'onnx' })).
 */
export class OnnxDevice implements ComputeDevice {
  private values?: Float32Array;
  private readonly forward: OnnxForward;

  constructor(private readonly gradientDevice: ComputeDevice) {
    this.forward = new OnnxForward(requireOnnxRuntime());
  }

  get workers(): number {
    return this.gradientDevice.workers;
  }

  async setModel(spec: ModelSpec, values: Float32Array): Promise<void> {
    await this.gradientDevice.setModel(spec, values);
    await this.forward.setModel(spec);
    this.values = values;
  }

  gradients(shards: GradientBatch[], grads: Float32Array[]): Promise<number[]> {
    return this.gradientDevice.gradients(shards, grads);
  }

  gradientsAndSum(
    shards: GradientBatch[],
    grads: Float32Array[],
    weights: readonly number[],
    sum: Float32Array,
  ): Promise<number[]> {
    return this.gradientDevice.gradientsAndSum(shards, grads, weights, sum);
  }

  async features(
    chunks: { patches: Float32Array; count: number }[],
    options: FeatureCallOptions = {},
  ): Promise<Float32Array[]> {
    // A prompted model's query runs where its prompted training does (onnx has no prompted forward).
    if (options.unprompted) return this.gradientDevice.features(chunks, options);
    if (!this.values) throw new Error('OnnxDevice: setModel() has not been called');
    const values = OnnxForward.feedable(this.values);
    const out: Float32Array[] = [];
    for (const c of chunks) out.push(await this.forward.features(values, c.patches, c.count));
    return out;
  }

  async close(): Promise<void> {
    await this.forward.release();
    await this.gradientDevice.close();
    this.values = undefined;
  }
}
