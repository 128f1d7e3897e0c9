import { Mt19937 } from '@slca/data';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  initBackend,
  ParamLayout,
  sharedFloat32,
  numPatches,
  paramSpecs,
  patchInputDim,
  type VitArch,
  LocalDevice,
  type GradientBatch,
  type ModelSpec,
  OnnxTraining,
  openComputeDevice,
} from '@slca/compute';
import { randomBackbone } from '../weights/vit-weights';

/*
 * The native training pass (onnx-vit-train.ts: forward, loss and a backward pass written out by hand as ONNX
 * operators) against the tfjs-wasm device's gradients, which tfjs's autodiff derives from the forward
 * (an independent computation of the same derivatives): the loss and every tensor's gradient agree within a
 * float32 tolerance, for each kind of model the native pass accepts.
 */

const ARCH: VitArch = { imageSize: 8, patchSize: 4, dim: 16, depth: 2, heads: 2, mlpDim: 32 };
const CLASSES = 5;
const RANK = 2;

/** Largest |onnx − wasm| of a tensor's gradient, relative to the largest |wasm| entry of that tensor. */
const GRADIENT_TOLERANCE = 1e-5;
const LOSS_TOLERANCE = 1e-5;

function layoutOf(lora: boolean): ParamLayout {
  const slots = paramSpecs(ARCH).map((s) => ({ name: s.name, shape: s.shape }));
  if (lora)
    for (let i = 0; i < ARCH.depth; i++)
      slots.push(
        { name: `blocks.${i}.attn.lora_a`, shape: [ARCH.dim, RANK] },
        { name: `blocks.${i}.attn.lora_b`, shape: [RANK, 3 * ARCH.dim] },
      );
  slots.push({ name: 'head.weight', shape: [ARCH.dim, CLASSES] }, { name: 'head.bias', shape: [CLASSES] });
  return new ParamLayout(slots);
}

function valuesOf(layout: ParamLayout, seed: number): Float32Array {
  const values = new Float32Array(layout.total);
  values.set(randomBackbone(ARCH, new Mt19937(seed)));
  const rng = new Mt19937(seed + 1);
  // LoRA and head: small random values (B ≠ 0, so that both LoRA factors get a gradient).
  for (
    let i = paramSpecs(ARCH).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
    i < values.length;
    i++
  )
    values[i] = (rng.randomSample() - 0.5) * 0.4;
  return values;
}

function batchOf(count: number, seed: number): GradientBatch {
  const per = numPatches(ARCH) * patchInputDim(ARCH);
  return {
    count,
    patches: Float32Array.from({ length: count * per }, (_, i) => Math.sin(0.37 * i + seed) * 1.2),
    labels: Int32Array.from({ length: count }, (_, i) => (i * 3 + seed) % CLASSES),
  };
}

const base = (layout: ParamLayout): ModelSpec => ({
  arch: ARCH,
  layout: layout.toJSON(),
  finalNormEps: 1e-5,
  trainBackbone: true,
});

const cases: [string, () => ModelSpec][] = [
  ['the whole model, cross-entropy (SLCA stage 1)', () => base(layoutOf(false))],
  ['every token of the last block on wasm', () => ({ ...base(layoutOf(false)), fullLastBlock: true })],
  ['the head alone (a frozen backbone)', () => ({ ...base(layoutOf(false)), trainBackbone: false })],
  [
    'LoRA, norms, biases, CLS token and head with symmetric CE (SLCA++)',
    () => {
      const layout = layoutOf(true);
      const trainable = layout.slots
        .map((s) => s.name)
        .filter((n) => /norm|bias|cls_token|lora|head/.test(n));
      return {
        ...base(layout),
        finalNormEps: 1e-6,
        lora: { scale: 0.8 },
        trainable,
        objective: { kind: 'symmetric-cross-entropy', a: 1, b: 0.1 },
      };
    },
  ],
];

describe('native (onnxruntime) training pass', () => {
  beforeAll(async () => {
    expect((await initBackend('wasm')).name).toBe('wasm');
  });

  it.each(cases)('equals the wasm loss and gradients: %s', async (_, make) => {
    const spec = make();
    const layout = new ParamLayout(spec.layout);
    const values = valuesOf(layout, 5);
    const batches = [batchOf(3, 1), batchOf(4, 2)];
    const reference = new LocalDevice();
    await reference.setModel(spec, values);
    const expected = batches.map(() => new Float32Array(layout.total));
    const expectedLosses = await reference.gradients(batches, expected);
    const native = new OnnxTraining();
    await native.setModel(spec);
    for (const [k, batch] of batches.entries()) {
      const got = new Float32Array(layout.total).fill(Number.NaN);
      const loss = await native.gradients(values, batch, got);
      expect(Math.abs(loss - expectedLosses[k])).toBeLessThan(LOSS_TOLERANCE);
      for (const slot of layout.slots) {
        const want = layout.view(expected[k], slot.name);
        const have = layout.view(got, slot.name);
        const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        let worst = 0;
        have.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - want[i]))));
        if (scale === 0) expect(worst, slot.name).toBe(0);
        else expect(worst / scale, slot.name).toBeLessThan(GRADIENT_TOLERANCE);
        if (process.env.SLCA_PRINT_ERRORS) console.log(slot.name, scale === 0 ? worst : worst / scale);
      }
    }
    await native.release();
  });

  it('gives bit-identical shard gradients and sums in-thread and on 1 or 2 workers, natively', async () => {
    const spec = base(layoutOf(false));
    const layout = new ParamLayout(spec.layout);
    const values = sharedFloat32(layout.total);
    values.set(valuesOf(layout, 7));
    const shards = [batchOf(2, 3), batchOf(3, 4), batchOf(2, 5)];
    const weights = [2 / 7, 3 / 7, 2 / 7];
    const results: { losses: number[]; grads: Float32Array[]; sum: Float32Array }[] = [];
    for (const workers of [0, 1, 2]) {
      const { device } = await openComputeDevice('onnx', workers, 'wasm');
      await device.setModel(spec, values);
      const grads = shards.map(() => sharedFloat32(layout.total));
      const sum = sharedFloat32(layout.total);
      const losses = await device.gradientsAndSum(shards, weights, sum);
      expect(await device.gradients(shards, grads)).toEqual(losses);
      results.push({ losses, grads, sum });
      await device.close();
    }
    for (const r of results.slice(1)) expect(r).toEqual(results[0]);
    // …and they are the native pass's (not the tfjs fallback's, which differs in the last bits).
    const native = new OnnxTraining();
    await native.setModel(spec);
    const own = new Float32Array(layout.total);
    expect(await native.gradients(Float32Array.from(values), shards[1], own)).toBe(results[0].losses[1]);
    expect(own).toEqual(Float32Array.from(results[0].grads[1]));
    await native.release();
    const wasm = new LocalDevice();
    await wasm.setModel(spec, values);
    const tfjs = [new Float32Array(layout.total)];
    await wasm.gradients([shards[1]], tfjs);
    expect(tfjs[0]).not.toEqual(own);
  });

  it('a shard that fails on one worker fails the step on a pool at once, and the next step runs', async () => {
    const spec = base(layoutOf(false));
    const layout = new ParamLayout(spec.layout);
    const values = sharedFloat32(layout.total);
    values.set(valuesOf(layout, 7));
    const good = [batchOf(2, 3), batchOf(3, 4), batchOf(2, 5)];
    const weights = [2 / 7, 3 / 7, 2 / 7];
    const { device } = await openComputeDevice('onnx', 2, 'wasm');
    try {
      await device.setModel(spec, values);
      const expected = sharedFloat32(layout.total);
      const losses = await device.gradientsAndSum(good, weights, expected);
      // Shard 0 (worker 0) fails: worker 1, waiting for its turn after it, must give up, not time out.
      const bad = [{ ...good[0], labels: Int32Array.of(0, CLASSES) }, good[1], good[2]];
      const sum = sharedFloat32(layout.total);
      await expect(device.gradientsAndSum(bad, weights, sum)).rejects.toThrow(
        `label ${CLASSES} of image 1 is outside the head's ${CLASSES} classes`,
      );
      expect(await device.gradientsAndSum(good, weights, sum)).toEqual(losses);
      expect(sum).toEqual(expected);
    } finally {
      await device.close();
    }
  });

  it('refuses a label outside the head, naming the image, and a shard whose sizes disagree', async () => {
    const spec = base(layoutOf(false));
    const native = new OnnxTraining();
    await native.setModel(spec);
    const batch = { ...batchOf(2, 1), labels: Int32Array.of(1, CLASSES) };
    await expect(
      native.gradients(new Float32Array(new ParamLayout(spec.layout).total), batch, new Float32Array(1)),
    ).rejects.toThrow(`label ${CLASSES} of image 1 is outside the head's ${CLASSES} classes`);
    const short = { ...batchOf(2, 1), count: 3 };
    await expect(
      native.gradients(new Float32Array(new ParamLayout(spec.layout).total), short, new Float32Array(1)),
    ).rejects.toThrow('a shard of 3 image(s) needs');
    await native.release();
  });
});
