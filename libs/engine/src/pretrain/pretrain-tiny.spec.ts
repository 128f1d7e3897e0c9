import { describe, expect, it } from 'vitest';
import { TINY_ARCH, tinyDataset } from '../../test/tiny-experiment';
import { randomBackbone } from '../weights/vit-weights';
import { streamRng } from '../slca/experiment';
import { ncmAccuracy } from './ncm';
import { pretrainSupervised, warmupCosineLr, type PretrainConfig } from './supervised';

const config = (workers: number): PretrainConfig => ({
  arch: TINY_ARCH,
  seed: 3,
  epochs: 3,
  warmupEpochs: 1,
  batchSize: 8,
  lr: 1e-3,
  weightDecay: 0.05,
  labelSmoothing: 0,
  augment: { flipProb: 0.5, maxShift: 1 },
  normalize: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
  compute: { backend: 'wasm', workers, shards: 2 },
});

describe('supervised pre-training', () => {
  it('trains (the loss falls), starts from the seeded random init, and is reproducible across worker counts', async () => {
    const data = tinyDataset(8, 2);
    const set = { ...data.train, classes: data.classes };
    const a = await pretrainSupervised(config(0), set);
    const b = await pretrainSupervised(config(2), set);
    expect(a.epochLosses).toHaveLength(3);
    expect(a.epochLosses[2]).toBeLessThan(a.epochLosses[0]);
    expect(Array.from(b.backbone)).toEqual(Array.from(a.backbone));
    const init = randomBackbone(TINY_ARCH, streamRng(3, 'pretrain-init'));
    expect(Array.from(a.backbone)).not.toEqual(Array.from(init));
  });

  it('warms up linearly, then decays along a cosine to 0', () => {
    expect(warmupCosineLr(1, 0, 4, 12)).toBe(0.25);
    expect(warmupCosineLr(1, 3, 4, 12)).toBe(1);
    expect(warmupCosineLr(1, 4, 4, 12)).toBe(1);
    expect(warmupCosineLr(1, 8, 4, 12)).toBeCloseTo(0.5, 12); // half-way through the decay: (1 + cos(π/2))/2
  });
});

describe('nearest-class-mean accuracy', () => {
  it('assigns each query to the most cosine-similar class mean (hand-made 2-d example)', () => {
    // class 0 points along +x, class 1 along +y; queries: (2, 1) → 0, (1, 3) → 1, (−1, 0.2) → 1
    // (cos with mean0 = −0.98, with mean1 = 0.196), so 2 of 3 correct when labelled [0, 1, 0].
    const reference = { features: new Float32Array([1, 0, 3, 0.1, 0, 1, 0.1, 2]), labels: [0, 0, 1, 1] };
    const query = { features: new Float32Array([2, 1, 1, 3, -1, 0.2]), labels: [0, 1, 0] };
    expect(ncmAccuracy(reference, query, 2)).toBeCloseTo(200 / 3, 10);
  });
});
