import { Mt19937 } from '@slca/data';
import { DEFAULT_ALIGNMENT } from '../src/slca/alignment';
import type { ExperimentConfig, Method } from '../src/slca/config';
import { applyMethod } from '../src/slca/config';
import type { ExperimentData, ImageSet } from '../src/slca/experiment';
import type { VitArch } from '@slca/compute';

/** A ViT small enough for unit tests: 8 px, 4 patches + CLS, dim 16. */
export const TINY_ARCH: VitArch = { imageSize: 8, patchSize: 4, dim: 16, depth: 1, heads: 2, mlpDim: 32 };

/**
 * Six synthetic classes of 8×8 images: class c is a colour c-dependent gradient plus seeded noise, so a
 * tiny ViT can learn them in a few steps.
 */
export function tinyDataset(trainPerClass = 6, testPerClass = 4, seed = 7): ExperimentData {
  const rng = new Mt19937(seed);
  const classes = 6;
  const make = (perClass: number): ImageSet => {
    const count = classes * perClass;
    const images = new Float32Array(count * 8 * 8 * 3);
    const labels = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const c = i % classes;
      labels[i] = c;
      for (let y = 0; y < 8; y++)
        for (let x = 0; x < 8; x++)
          for (let ch = 0; ch < 3; ch++) {
            const base = ch === c % 3 ? 0.8 : 0.2;
            const grad = c >= 3 ? x / 8 : y / 8;
            const v = 0.6 * base + 0.3 * grad + 0.1 * rng.randomSample();
            images[((i * 8 + y) * 8 + x) * 3 + ch] = v;
          }
    }
    return { images, labels, count };
  };
  return { name: 'tiny', classes, imageSize: 8, train: make(trainPerClass), test: make(testPerClass) };
}

export function tinyConfig(method: Method, seed = 1993, workers = 0): ExperimentConfig {
  const cfg = applyMethod(
    {
      method,
      seed,
      arch: TINY_ARCH,
      initClasses: 2,
      increment: 2,
      stage1: {
        epochs: 2,
        milestones: [1],
        gamma: 0.1,
        batchSize: 4,
        lr: 0.05,
        backboneLrScale: 0.01,
        momentum: 0.9,
        weightDecay: 5e-4,
        freshFinalNorm: true,
        augment: { flipProb: 0.5, maxShift: 1 },
      },
      alignment: { ...DEFAULT_ALIGNMENT, epochs: 2, samplesPerClass: 16, batchSize: 16 },
      restoreHeadsAfterEval: true,
      covarianceRidge: 1e-4,
      compute: { backend: 'wasm', workers, shards: 2, featureChunk: 8 },
      normalize: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
    },
    method,
  );
  // RanPAC's projection at 4 × the tiny width (the reference's 10000 would be a 10⁸-entry Gram matrix).
  if (cfg.ranpac) cfg.ranpac = { ...cfg.ranpac, projectionDim: 64 };
  // DualPrompt's prefixes at the tiny model's one block: the E-prompts there, no G-prompt.
  if (cfg.dualprompt) cfg.dualprompt = { ...cfg.dualprompt, gLayers: [], eLayers: [0] };
  return cfg;
}
