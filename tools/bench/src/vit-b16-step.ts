import { randomBackbone } from '@slca/engine';
import {
  HEAD_BIAS,
  HEAD_WEIGHT,
  numPatches,
  paramSpecs,
  patchInputDim,
  sharedFloat32,
  VIT_PRESETS,
  type GradientBatch,
  type ModelSpec,
} from '@slca/compute';
import { Mt19937 } from '@slca/data';

/** The batch of the onnx A/B scripts' ViT-B/16 training step, in shards of BATCH / SHARDS images. */
export const BATCH = 8;
export const SHARDS = 2;
const CLASSES = 10;

/**
 * ViT-B/16 with a 10-class head: its training spec, the backbone-only spec features are read with, and
 * random weights (randomBackbone, seed 1) in a shared buffer; `random` draws inputs in [-1, 1) (seed 2)
 * and `shards` the step's patchified images and labels from it.
 */
export function vitB16Step() {
  const arch = { ...VIT_PRESETS['vit-b16'] };
  const backbone = paramSpecs(arch).map((s) => ({ name: s.name, shape: s.shape }));
  const layout = [
    ...backbone,
    { name: HEAD_WEIGHT, shape: [arch.dim, CLASSES] },
    { name: HEAD_BIAS, shape: [CLASSES] },
  ];
  const total = layout.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  const values = sharedFloat32(total);
  values.set(randomBackbone(arch, new Mt19937(1)));
  const train: ModelSpec = { arch, layout, finalNormEps: 1e-6, trainBackbone: true };
  const read: ModelSpec = { arch, layout: backbone, finalNormEps: 1e-6, trainBackbone: false };
  const rng = new Mt19937(2);
  const per = numPatches(arch) * patchInputDim(arch);
  const random = (n: number) => Float32Array.from({ length: n }, () => 2 * rng.randomSample() - 1);
  const shards = (): GradientBatch[] =>
    Array.from({ length: SHARDS }, () => ({
      count: BATCH / SHARDS,
      patches: random((BATCH / SHARDS) * per),
      labels: Int32Array.from({ length: BATCH / SHARDS }, () => rng.randomInterval(CLASSES - 1)),
    }));
  return { train, read, total, values, per, random, shards };
}
