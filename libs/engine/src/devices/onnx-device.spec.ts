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
  type ModelSpec,
  type ComputeDevice,
  OnnxDevice,
  openComputeDevice,
} from '@slca/compute';
import { randomBackbone } from '../weights/vit-weights';

/*
 * The onnx device's forward pass against the tfjs-wasm device's (the reference): the same features within
 * a float32 tolerance, and bit-identical features whatever the number of sessions side by side.
 */

// dh = 8 (a multiple of 4) so that the wasm side runs its strided attention kernels, as in real models.
const ARCH: VitArch = { imageSize: 8, patchSize: 4, dim: 16, depth: 2, heads: 2, mlpDim: 32 };
/** Largest |onnx − wasm| accepted per feature; features are LayerNorm outputs of magnitude ~1. */
const FEATURE_TOLERANCE = 2e-5;

const layout = new ParamLayout(paramSpecs(ARCH).map((s) => ({ name: s.name, shape: s.shape })));
const values = sharedFloat32(layout.total);
values.set(randomBackbone(ARCH, new Mt19937(11)));
const per = numPatches(ARCH) * patchInputDim(ARCH);
const chunks = [5, 3, 5].map((count, c) => ({
  count,
  patches: Float32Array.from({ length: count * per }, (_, i) => Math.sin(0.29 * i + c) * 1.3),
}));

function specOf(finalNormEps: number, fullLastBlock: boolean): ModelSpec {
  return { arch: ARCH, layout: layout.toJSON(), finalNormEps, trainBackbone: false, fullLastBlock };
}

describe('OnnxDevice (onnxruntime-node) forward', () => {
  beforeAll(async () => {
    expect((await initBackend('wasm')).name).toBe('wasm');
  });

  it.each([
    [1e-5, false],
    [1e-6, true],
  ])('equals the wasm features within %s-eps, all tokens %s', async (eps, fullLastBlock) => {
    const reference = new LocalDevice();
    await reference.setModel(specOf(eps, fullLastBlock), values);
    const expected = await reference.features(chunks);
    const device = new OnnxDevice(new LocalDevice());
    await device.setModel(specOf(eps, fullLastBlock), values);
    const got = await device.features(chunks);
    await device.close();
    expect(got.map((f) => f.length)).toEqual(expected.map((f) => f.length));
    let worst = 0;
    got.forEach((f, c) => f.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - expected[c][i])))));
    expect(worst).toBeLessThan(FEATURE_TOLERANCE);
    expect(worst).toBeGreaterThan(0); // two different implementations: equal only within rounding
  });

  it('gives bit-identical features in-thread and on 1 or 2 workers, and sees parameters updated in place', async () => {
    const own = sharedFloat32(layout.total);
    own.set(values);
    const devices: ComputeDevice[] = [];
    for (const workers of [0, 1, 2]) {
      const { device, info } = await openComputeDevice('onnx', workers, 'wasm');
      expect(info).toMatchObject({ name: 'onnx', workers, forward: 'onnxruntime-node (CPU EP)' });
      await device.setModel(specOf(1e-5, false), own);
      devices.push(device);
    }
    const [a, ...rest] = await Promise.all(devices.map((d) => d.features(chunks)));
    for (const r of rest) expect(r).toEqual(a);
    layout.view(own, 'norm.bias').fill(0.5);
    for (const d of devices) {
      const b = await d.features(chunks);
      expect(b[0][0]).toBeCloseTo(a[0][0] + 0.5, 5);
    }
    await Promise.all(devices.map((d) => d.close()));
  });
});
