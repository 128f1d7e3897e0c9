import { describe, expect, it } from 'vitest';
import { TINY_ARCH, tinyDataset } from '../../test/tiny-experiment';
import { streamRng } from '../slca/experiment';
import { randomBackbone } from '../weights/vit-weights';
import { pretrainContrastive, type ContrastiveConfig } from './contrastive';
import { pretrainSupervised, type PretrainConfig } from './supervised';

const config = (workers: number, over: Partial<ContrastiveConfig> = {}): ContrastiveConfig => ({
  arch: TINY_ARCH,
  seed: 5,
  epochs: 6,
  warmupEpochs: 1,
  batchSize: 8,
  lr: 2e-3,
  weightDecay: 0.05,
  temperature: 0.2,
  augment: { scale: [0.5, 1], hue: 0.05, saturation: [0.8, 1.2], grayscaleProb: 0.1 },
  normalize: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
  compute: { backend: 'wasm', workers, shards: 2 },
  ...over,
});

// 48 unlabelled 8×8 images (the tiny dataset's training images; labels never reach the loss)
const data = (() => {
  const { train } = tinyDataset(8, 1);
  if (!('images' in train)) throw new Error('the tiny dataset is decoded');
  return { images: train.images, count: train.count };
})();

describe('contrastive pre-training', () => {
  it('learns to tell the images apart (the loss falls), from the seeded init, the same on 0 and 2 workers', async () => {
    const a = await pretrainContrastive(config(0), data);
    const b = await pretrainContrastive(config(2), data);
    expect(a.epochLosses).toHaveLength(6);
    expect(a.epochLosses[5]).toBeLessThan(a.epochLosses[0] - 0.2);
    expect(Array.from(b.backbone)).toEqual(Array.from(a.backbone));
    expect(b.epochLosses).toEqual(a.epochLosses);
    const init = randomBackbone(TINY_ARCH, streamRng(5, 'pretrain-init'));
    expect(a.backbone).toHaveLength(init.length);
    expect(Array.from(a.backbone)).not.toEqual(Array.from(init));
    // the shard count is part of the recipe: one shard (all 8 images as negatives) trains differently
    const c = await pretrainContrastive(
      config(0, { epochs: 1, compute: { backend: 'wasm', workers: 0, shards: 1 } }),
      data,
    );
    const d = await pretrainContrastive(config(0, { epochs: 1 }), data);
    expect(Array.from(c.backbone)).not.toEqual(Array.from(d.backbone));
  });

  it('with labels, pulls together every view of a class (supervised contrastive), from a given backbone', async () => {
    const { train } = tinyDataset(8, 1);
    const labelled = { ...data, labels: train.labels };
    const init = randomBackbone(TINY_ARCH, streamRng(42, 'elsewhere'));
    // lr 0: the backbone stays at init, whatever the loss
    const still = await pretrainContrastive(config(0, { epochs: 1, lr: 0 }), labelled, undefined, init);
    expect(Array.from(still.backbone)).toEqual(Array.from(init));
    const byClass = await pretrainContrastive(config(0, { epochs: 4 }), labelled, undefined, init);
    const byImage = await pretrainContrastive(config(0, { epochs: 4 }), data, undefined, init);
    // it learns, and class positives train differently from instance positives
    expect(byClass.epochLosses[3]).toBeLessThan(byClass.epochLosses[0]);
    expect(Array.from(byClass.backbone)).not.toEqual(Array.from(byImage.backbone));
    await expect(
      pretrainContrastive(config(0), { ...data, labels: train.labels.subarray(1) }),
    ).rejects.toThrow(/47 labels for 48 images/);
    await expect(pretrainContrastive(config(0), data, undefined, init.subarray(1))).rejects.toThrow(
      /init has \d+ values, the backbone \d+/,
    );
  });

  it('refuses images of the wrong size, a batch larger than the data, and fewer than 2 images per shard', async () => {
    await expect(
      pretrainContrastive(config(0), { images: data.images.subarray(1), count: 48 }),
    ).rejects.toThrow(/values for 48 images of 8×8×3/);
    await expect(pretrainContrastive(config(0, { batchSize: 64 }), data)).rejects.toThrow(
      /48 images do not fill one batch of 64/,
    );
    await expect(pretrainContrastive(config(0, { batchSize: 3 }), data)).rejects.toThrow(
      /batchSize must be an integer ≥ 2 per shard \(2 shards\), got 3/,
    );
  });
});

describe('supervised pre-training from a given backbone', () => {
  const supervised: PretrainConfig = {
    arch: TINY_ARCH,
    seed: 3,
    epochs: 1,
    warmupEpochs: 0,
    batchSize: 8,
    lr: 0,
    weightDecay: 0.05,
    labelSmoothing: 0,
    augment: { flipProb: 0.5, maxShift: 1 },
    normalize: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
    compute: { backend: 'wasm', workers: 0, shards: 2 },
  };
  const set = (() => {
    const d = tinyDataset(4, 1);
    return { ...d.train, classes: d.classes };
  })();

  it('starts from init instead of the random backbone (with lr 0 it returns init unchanged)', async () => {
    const init = randomBackbone(TINY_ARCH, streamRng(99, 'other'));
    const out = await pretrainSupervised(supervised, set, undefined, init);
    expect(Array.from(out.backbone)).toEqual(Array.from(init));
    const fromRandom = await pretrainSupervised(supervised, set);
    expect(Array.from(fromRandom.backbone)).toEqual(
      Array.from(randomBackbone(TINY_ARCH, streamRng(3, 'pretrain-init'))),
    );
    await expect(pretrainSupervised(supervised, set, undefined, init.subarray(1))).rejects.toThrow(
      /init has \d+ values, the backbone \d+/,
    );
  });
});
