import { cropColourAugment, normalizeInPlace, type CropColourOptions } from '@slca/data';
import {
  initBackend,
  type ComputeDevice,
  LocalDevice,
  type GradientBatch,
  WorkerPool,
  sharedFloat32,
  patchify,
} from '@slca/compute';
import { streamRng } from '../slca/experiment';
import { AdamW } from '../train/adamw';
import { shardRanges } from '../train/batch-gradient';
import { backboneLayout, randomBackbone } from '../weights/vit-weights';
import {
  warmupCosineLr,
  type PretrainProgress,
  type PretrainResult,
  type PretrainSchedule,
} from './supervised';

/**
 * Self-supervised (contrastive) pre-training of a ViT from scratch, SimCLR-style: two augmented views of
 * every image, and the contrastive loss on the backbone's CLS features (no projection head) with the
 * other images of the shard as negatives. Labels are never read.
 */
export interface ContrastiveConfig extends PretrainSchedule {
  /**
   * Images per step (each gives two views); a last partial batch is dropped. `compute.shards` cuts each
   * batch into parts computed independently (one per worker): the negatives of an image are the other
   * images of its shard, so the shard count is part of the recipe.
   */
  batchSize: number;
  temperature: number;
  /** The views: random-resized crop, flip, hue and saturation jitter, greyscale. */
  augment: CropColourOptions;
}

/**
 * Trains a randomly initialised backbone with the contrastive objective on unlabelled images (NHWC, RGB,
 * [0, 1], arch.imageSize square) and returns it. AdamW with weight decay on matrices, warm-up + cosine.
 * Per step: one permutation slice of `batchSize` images; view 1 of every image is drawn, then view 2
 * (`cropColourAugment`, one augmentation stream); shard k holds its images' two views, ids 0…m−1 twice.
 * With `labels` the ids are the images' labels instead, so every view of the same class is a positive
 * (supervised contrastive learning, Khosla et al. 2020). Starts from `init` when given. Deterministic for
 * a seed, backend, shard count and initial backbone.
 */
export async function pretrainContrastive(
  cfg: ContrastiveConfig,
  data: { images: Float32Array; count: number; labels?: Int32Array },
  onProgress: (p: PretrainProgress) => void = () => undefined,
  init?: Float32Array,
): Promise<PretrainResult> {
  const started = performance.now();
  const { arch } = cfg;
  const size = arch.imageSize;
  const per = size * size * 3;
  if (data.images.length !== data.count * per)
    throw new RangeError(
      `pretrainContrastive: ${data.images.length} values for ${data.count} images of ${size}×${size}×3`,
    );
  if (!Number.isInteger(cfg.batchSize) || cfg.batchSize < 2 * cfg.compute.shards)
    throw new RangeError(
      `pretrainContrastive: batchSize must be an integer ≥ 2 per shard (${cfg.compute.shards} shards), got ${cfg.batchSize}`,
    );
  const steps = Math.floor(data.count / cfg.batchSize);
  if (steps === 0)
    throw new RangeError(
      `pretrainContrastive: ${data.count} images do not fill one batch of ${cfg.batchSize}`,
    );

  const backend = await initBackend(cfg.compute.backend);
  const layout = backboneLayout(arch);
  const values = sharedFloat32(layout.total);
  if (init && init.length !== layout.total)
    throw new RangeError(`pretrainContrastive: init has ${init.length} values, the backbone ${layout.total}`);
  if (data.labels && data.labels.length !== data.count)
    throw new RangeError(`pretrainContrastive: ${data.labels.length} labels for ${data.count} images`);
  values.set(init ?? randomBackbone(arch, streamRng(cfg.seed, 'pretrain-init')), 0);
  const classOf = data.labels;
  const decay = new Uint8Array(layout.total);
  for (const s of layout.slots) if (s.shape.length === 2) decay.fill(1, s.offset, s.offset + s.size);
  const rngShuffle = streamRng(cfg.seed, 'contrastive-shuffle');
  const rngAugment = streamRng(cfg.seed, 'contrastive-augment');
  const device: ComputeDevice =
    cfg.compute.workers > 0 ? await WorkerPool.create(cfg.compute.workers, backend.name) : new LocalDevice();
  const opt = new AdamW(layout.total, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: cfg.weightDecay });
  const ranges = shardRanges(cfg.batchSize, cfg.compute.shards);
  const sum = sharedFloat32(layout.total);
  const weights = ranges.map(([a, b]) => (b - a) / cfg.batchSize);
  const totalSteps = steps * cfg.epochs;
  const epochLosses: number[] = [];
  try {
    await device.setModel(
      {
        arch,
        layout: layout.toJSON(),
        finalNormEps: arch.normEps ?? 1e-6,
        trainBackbone: true,
        objective: { kind: 'contrastive', temperature: cfg.temperature },
      },
      values,
    );
    for (let epoch = 0; epoch < cfg.epochs; epoch++) {
      const perm = rngShuffle.permutation(data.count);
      let lossSum = 0;
      for (let step = 0; step < steps; step++) {
        const n = cfg.batchSize;
        const raw = new Float32Array(n * per);
        for (let i = 0; i < n; i++) {
          const r = perm[step * n + i];
          raw.set(data.images.subarray(r * per, (r + 1) * per), i * per);
        }
        const view1 = cropColourAugment(raw, n, size, rngAugment, cfg.augment);
        const view2 = cropColourAugment(raw, n, size, rngAugment, cfg.augment);
        const shards: GradientBatch[] = ranges.map(([a, b]) => {
          const m = b - a;
          const both = new Float32Array(2 * m * per);
          both.set(view1.subarray(a * per, b * per), 0);
          both.set(view2.subarray(a * per, b * per), m * per);
          normalizeInPlace(both, cfg.normalize.mean, cfg.normalize.std);
          return {
            patches: patchify(both, 2 * m, arch),
            labels: Int32Array.from({ length: 2 * m }, (_, i) =>
              classOf ? classOf[perm[step * n + a + (i % m)]] : i % m,
            ),
            count: 2 * m,
          };
        });
        const losses = await device.gradientsAndSum(shards, weights, sum);
        const loss = losses.reduce((acc, l, k) => acc + weights[k] * l, 0);
        if (!Number.isFinite(loss))
          throw new Error(
            `contrastive pre-training diverged: loss ${loss} at epoch ${epoch + 1}, step ${step + 1}`,
          );
        const lr = warmupCosineLr(cfg.lr, epoch * steps + step, cfg.warmupEpochs * steps, totalSteps);
        opt.step(values, sum, lr, decay);
        lossSum += loss;
        onProgress({ epoch, epochs: cfg.epochs, step, steps, loss, lr });
      }
      epochLosses.push(lossSum / steps);
    }
  } finally {
    await device.close();
  }
  return {
    backbone: values.slice(),
    epochLosses,
    backend,
    wallSeconds: (performance.now() - started) / 1000,
  };
}
