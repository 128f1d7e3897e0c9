import * as tf from '@tensorflow/tfjs-core';
import { ParamLayout } from '../params';
import type { ComputeDevice, FeatureCallOptions } from './device';
import {
  addWeighted,
  featuresOf,
  GradientScratch,
  gradientsInto,
  tensorsFrom,
  type GradientBatch,
  type ModelSpec,
} from './model-step';

/** Runs everything in the calling thread. */
export class LocalDevice implements ComputeDevice {
  readonly workers = 1;
  private spec?: ModelSpec;
  private layout?: ParamLayout;
  private values?: Float32Array;
  private readonly scratch = new GradientScratch();

  async setModel(spec: ModelSpec, values: Float32Array): Promise<void> {
    this.spec = spec;
    this.layout = new ParamLayout(spec.layout);
    if (values.length !== this.layout.total)
      throw new Error('LocalDevice.setModel: values do not match the layout');
    this.values = values;
  }

  private model() {
    if (!this.spec || !this.layout || !this.values)
      throw new Error('LocalDevice: setModel() has not been called');
    return { spec: this.spec, layout: this.layout, values: this.values };
  }

  async gradients(shards: GradientBatch[], grads: Float32Array[]): Promise<number[]> {
    const { spec, layout, values } = this.model();
    const params = tensorsFrom(layout, values);
    try {
      return shards.map((shard, i) => gradientsInto(spec, layout, params, shard, grads[i]));
    } finally {
      tf.dispose(Object.values(params));
    }
  }

  async gradientsAndSum(
    shards: GradientBatch[],
    weights: readonly number[],
    sum: Float32Array,
  ): Promise<number[]> {
    if (weights.length !== shards.length)
      throw new Error('LocalDevice.gradientsAndSum: one weight per shard');
    const { spec, layout, values } = this.model();
    const g = this.scratch.of(layout.total);
    const params = tensorsFrom(layout, values);
    try {
      return shards.map((shard, k) => {
        const loss = gradientsInto(spec, layout, params, shard, g);
        addWeighted(sum, weights[k], g, k === 0);
        return loss;
      });
    } finally {
      tf.dispose(Object.values(params));
    }
  }

  async features(
    chunks: { patches: Float32Array; count: number }[],
    options: FeatureCallOptions = {},
  ): Promise<Float32Array[]> {
    const { spec, layout, values } = this.model();
    const params = tensorsFrom(layout, values);
    try {
      return chunks.map((c) => featuresOf(spec, params, c.patches, c.count, options));
    } finally {
      tf.dispose(Object.values(params));
    }
  }

  async close(): Promise<void> {
    this.spec = undefined;
    this.scratch.release();
  }
}
