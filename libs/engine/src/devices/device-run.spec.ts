import { describe, expect, it } from 'vitest';
import { TINY_ARCH, tinyConfig, tinyDataset } from '../../test/tiny-experiment';
import { methodDefinition, METHODS } from '../methods/registry';
import { runExperiment } from '../slca/experiment';
import { streamRng } from '../slca/streams';
import { randomBackbone } from '../weights/vit-weights';
import { resolveDevice } from '@slca/compute';

/*
 * A whole tiny run of every method on each compute device. The onnx device computes the forward passes of
 * feature extraction, class statistics and evaluation (features within 2e-5 of wasm's: onnx-device.spec.ts)
 * and the training passes (gradients within 1e-5 of wasm's, relative: onnx-train.spec.ts) with other
 * kernels, so what differs is rounding, compounded over the steps: stated tolerances, every epoch's mean
 * stage-1 loss within LOSS_TOLERANCE (relative) of wasm's and, per accuracy-matrix cell, at most one test
 * image either way.
 */

/** Largest |onnx − wasm| / wasm of an epoch's mean training loss. */
const LOSS_TOLERANCE = 1e-4;

const backbone = () => randomBackbone(TINY_ARCH, streamRng(1, 'test-init'));

describe('a tiny run on each device', () => {
  // Every method: SLCA++ trains LoRA adapters on tfjs and hands the devices the merged backbone (an ordinary
  // ViT); RanPAC and SimpleCIL build their classifiers from the onnx features.
  const onOnnx = (m: (typeof METHODS)[number]) => {
    const cfg = tinyConfig(m);
    return methodDefinition(m).issues({ ...cfg, compute: { ...cfg.compute, device: 'onnx' } });
  };
  // The prompted methods (L2P, DualPrompt) are refused on onnx by field; every other method runs there.
  const runsOnOnnx = METHODS.filter((m) => onOnnx(m).length === 0);

  it('refuses onnx only for the prompted methods, naming compute.device', () => {
    expect(METHODS.filter((m) => !runsOnOnnx.includes(m))).toEqual(['l2p', 'dualprompt']);
    for (const m of ['l2p', 'dualprompt'] as const)
      expect(onOnnx(m).map((i) => i.path)).toEqual(['compute.device']);
  });

  it.each(runsOnOnnx)(
    '%s: onnx gives the accuracy matrix of wasm within one test image per cell, and records its device',
    async (method) => {
      const data = tinyDataset();
      const cfg = tinyConfig(method);
      const wasm = await runExperiment(
        { ...cfg, compute: { ...cfg.compute, device: 'wasm' } },
        data,
        backbone(),
      );
      const onnx = await runExperiment(
        { ...cfg, compute: { ...cfg.compute, device: 'onnx' } },
        data,
        backbone(),
      );
      expect(wasm.device).toMatchObject({ name: 'wasm', forward: 'tfjs-wasm', gradients: 'tfjs-wasm' });
      expect(onnx.device).toMatchObject({
        name: 'onnx',
        forward: 'onnxruntime-node (CPU EP)',
        gradients: 'onnxruntime-node (CPU EP); tfjs-wasm for the contrastive objective',
      });
      const losses = (r: typeof wasm) => r.tasks.flatMap((t) => t.epochLosses);
      expect(losses(onnx).length).toBe(losses(wasm).length);
      losses(wasm).forEach((l, i) =>
        expect(Math.abs(losses(onnx)[i] - l) / l, `epoch loss ${i}`).toBeLessThan(LOSS_TOLERANCE),
      );
      const testPerTask = data.test.count / (data.classes / cfg.increment);
      const oneImage = 100 / testPerTask;
      expect(onnx.accuracyMatrix.length).toBe(wasm.accuracyMatrix.length);
      wasm.accuracyMatrix.forEach((row, i) =>
        row.forEach((value, j) => {
          const other = onnx.accuracyMatrix[i][j];
          if (value === null) expect(other).toBeNull();
          else expect(Math.abs((other ?? Number.NaN) - value)).toBeLessThanOrEqual(oneImage + 1e-9);
        }),
      );
    },
    120_000,
  );

  it('auto takes onnx where onnxruntime-node loads (as here), and wasm names itself', () => {
    expect(resolveDevice('auto')).toBe('onnx');
    expect(resolveDevice('wasm')).toBe('wasm');
    expect(resolveDevice('onnx')).toBe('onnx');
  });
});
