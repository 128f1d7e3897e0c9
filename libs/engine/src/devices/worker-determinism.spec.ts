import { Mt19937 } from '@slca/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  initBackend,
  type BackendInfo,
  ParamLayout,
  sharedFloat32,
  numPatches,
  paramSpecs,
  patchInputDim,
  type VitArch,
  type ComputeDevice,
  LocalDevice,
  HEAD_BIAS,
  HEAD_WEIGHT,
  type GradientBatch,
  type ModelSpec,
  WorkerPool,
} from '@slca/compute';
import { Sgd } from '../train/sgd';
import { randomBackbone } from '../weights/vit-weights';

/*
 * A fixed number of shards makes training independent of the worker count: the in-thread device, one
 * worker and two workers must give bit-identical gradients, sums and parameters, step after step.
 */

const ARCH: VitArch = { imageSize: 8, patchSize: 4, dim: 16, depth: 2, heads: 2, mlpDim: 32 };
const CLASSES = 3;
const SHARDS = 3;
const BATCH = 7;
const STEPS = 3;

const layout = new ParamLayout([
  ...paramSpecs(ARCH).map((s) => ({ name: s.name, shape: s.shape })),
  { name: HEAD_WEIGHT, shape: [ARCH.dim, CLASSES] },
  { name: HEAD_BIAS, shape: [CLASSES] },
]);
const spec: ModelSpec = { arch: ARCH, layout: layout.toJSON(), finalNormEps: 1e-5, trainBackbone: true };

function batchAt(step: number): GradientBatch[] {
  const per = numPatches(ARCH) * patchInputDim(ARCH);
  const out: GradientBatch[] = [];
  for (let s = 0; s < SHARDS; s++) {
    const a = Math.floor((s * BATCH) / SHARDS);
    const b = Math.floor(((s + 1) * BATCH) / SHARDS);
    out.push({
      patches: Float32Array.from({ length: (b - a) * per }, (_, i) => Math.sin(0.37 * (i + a * per) + step)),
      labels: Int32Array.from({ length: b - a }, (_, i) => (a + i + step) % CLASSES),
      count: b - a,
    });
  }
  return out;
}

interface Trace {
  losses: number[][];
  grads: Float32Array[][];
  sums: Float32Array[];
  params: Float32Array;
}

async function train(device: ComputeDevice): Promise<Trace> {
  const values = sharedFloat32(layout.total);
  values.set(randomBackbone(ARCH, new Mt19937(7)), 0);
  const head = layout.view(values, HEAD_WEIGHT);
  for (let i = 0; i < head.length; i++) head[i] = 0.05 * Math.cos(i);
  await device.setModel(spec, values);
  const sgd = new Sgd(layout.total, { momentum: 0.9, weightDecay: 5e-4 });
  const grads = Array.from({ length: SHARDS }, () => sharedFloat32(layout.total));
  const sum = sharedFloat32(layout.total);
  const trace: Trace = { losses: [], grads: [], sums: [], params: values };
  for (let step = 0; step < STEPS; step++) {
    const shards = batchAt(step);
    const weights = shards.map((s) => s.count / BATCH);
    // Both entry points: the device-side sum, and plain shard gradients summed here in shard order,
    // which must be the same bits.
    const losses = await device.gradientsAndSum(shards, weights, sum);
    expect(await device.gradients(shards, grads)).toEqual(losses);
    const here = new Float32Array(layout.total);
    grads.forEach((g, k) => {
      for (let i = 0; i < here.length; i++) here[i] += weights[k] * g[i];
    });
    expect(Buffer.compare(bytes(here), bytes(sum))).toBe(0);
    trace.losses.push(losses);
    trace.grads.push(grads.map((g) => g.slice()));
    trace.sums.push(sum.slice());
    sgd.step(values, sum, [{ start: 0, end: layout.total, lr: 0.05 }]);
  }
  trace.params = values.slice();
  return trace;
}

function expectIdentical(a: Trace, b: Trace) {
  expect(b.losses).toEqual(a.losses);
  a.grads.forEach((step, s) =>
    step.forEach((g, k) => expect(Buffer.compare(bytes(g), bytes(b.grads[s][k]))).toBe(0)),
  );
  a.sums.forEach((g, s) => expect(Buffer.compare(bytes(g), bytes(b.sums[s]))).toBe(0));
  expect(Buffer.compare(bytes(a.params), bytes(b.params))).toBe(0);
}

function bytes(x: Float32Array): Buffer {
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength);
}

describe('training is bit-identical for 0, 1 and 2 workers', () => {
  let backend: BackendInfo;
  let local: Trace;
  const pools: WorkerPool[] = [];

  beforeAll(async () => {
    backend = await initBackend('wasm');
    local = await train(new LocalDevice());
  });

  afterAll(async () => {
    await Promise.all(pools.map((p) => p.close()));
  });

  it('the local run trains (finite, changing losses; non-zero gradients)', () => {
    expect(local.losses.flat().every(Number.isFinite)).toBe(true);
    expect(local.sums[0].some((v) => v !== 0)).toBe(true);
  });

  for (const workers of [1, 2]) {
    it(`${workers} worker${workers > 1 ? 's' : ''}`, async () => {
      const pool = await WorkerPool.create(workers, backend.name);
      pools.push(pool);
      expectIdentical(local, await train(pool));
    });
  }
});
