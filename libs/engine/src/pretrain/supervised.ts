import {
  initBackend,
  type BackendInfo,
  type BackendRequest,
  type ComputeDevice,
  LocalDevice,
  HEAD_BIAS,
  HEAD_WEIGHT,
  WorkerPool,
  ParamLayout,
  sharedFloat32,
  paramSpecs,
  type VitArch,
} from '@slca/compute';
import { newHead } from '../slca/heads';
import { streamRng } from '../slca/experiment';
import { batchGradient, type BatchOptions, type ImageSet, type StepProgress } from '../train/batch-gradient';
import { AdamW } from '../train/adamw';
import { backboneLayout, randomBackbone } from '../weights/vit-weights';

/** What every pre-training recipe fixes: model, seed, AdamW with warm-up + cosine, input normalisation, compute. */
export interface PretrainSchedule {
  arch: VitArch;
  seed: number;
  epochs: number;
  warmupEpochs: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  normalize: { mean: [number, number, number]; std: [number, number, number] };
  compute: { backend: BackendRequest; workers: number; shards: number };
}

/** A label-supervised (cross-entropy) pre-training recipe for a small ViT. */
export interface PretrainConfig extends PretrainSchedule {
  labelSmoothing: 0;
  augment: { flipProb: number; maxShift: number };
}

export type PretrainProgress = StepProgress;

export interface PretrainResult {
  backbone: Float32Array;
  epochLosses: number[];
  backend: BackendInfo;
  wallSeconds: number;
}

/** Linear warm-up then cosine decay to 0, per step. */
export function warmupCosineLr(base: number, step: number, warmupSteps: number, totalSteps: number): number {
  if (step < warmupSteps) return (base * (step + 1)) / warmupSteps;
  const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
  return (base * (1 + Math.cos(Math.PI * progress))) / 2;
}

/**
 * Trains a ViT and a linear classifier on labelled images (AdamW, warm-up + cosine, flips and shifts), and
 * returns the backbone. The backbone starts at random (the seed's `pretrain-init` stream) or at `init` (e.g.
 * the result of contrastive pre-training); the head always starts fresh. Deterministic for a seed, backend,
 * shard count and initial backbone.
 */
export async function pretrainSupervised(
  cfg: PretrainConfig,
  data: ImageSet & { classes: number },
  onProgress: (p: PretrainProgress) => void = () => undefined,
  init?: Float32Array,
): Promise<PretrainResult> {
  const started = performance.now();
  const backend = await initBackend(cfg.compute.backend);
  const { arch } = cfg;
  const bb = backboneLayout(arch);
  const layout = new ParamLayout([
    ...paramSpecs(arch).map((s) => ({ name: s.name, shape: s.shape })),
    { name: HEAD_WEIGHT, shape: [arch.dim, data.classes] },
    { name: HEAD_BIAS, shape: [data.classes] },
  ]);
  const values = sharedFloat32(layout.total);
  if (init && init.length !== bb.total)
    throw new RangeError(`pretrainSupervised: init has ${init.length} values, the backbone ${bb.total}`);
  values.set(init ?? randomBackbone(arch, streamRng(cfg.seed, 'pretrain-init')), 0);
  const head = newHead(arch.dim, data.classes, streamRng(cfg.seed, 'pretrain-head'));
  values.set(head.weight, layout.slot(HEAD_WEIGHT).offset);
  values.set(head.bias, layout.slot(HEAD_BIAS).offset);
  // Weight decay on matrices only (linear and patch weights, the head), as is usual for ViTs.
  const decay = new Uint8Array(layout.total);
  for (const s of layout.slots) if (s.shape.length === 2) decay.fill(1, s.offset, s.offset + s.size);

  const rngShuffle = streamRng(cfg.seed, 'pretrain-shuffle');
  const rngAugment = streamRng(cfg.seed, 'pretrain-augment');
  const batchOptions: BatchOptions = {
    arch,
    augment: cfg.augment,
    normalize: cfg.normalize,
    shards: cfg.compute.shards,
  };
  const device: ComputeDevice =
    cfg.compute.workers > 0 ? await WorkerPool.create(cfg.compute.workers, backend.name) : new LocalDevice();
  const opt = new AdamW(layout.total, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: cfg.weightDecay });
  const sum = sharedFloat32(layout.total);
  const steps = Math.ceil(data.count / cfg.batchSize);
  const totalSteps = steps * cfg.epochs;
  const epochLosses: number[] = [];
  try {
    await device.setModel(
      { arch, layout: layout.toJSON(), finalNormEps: arch.normEps ?? 1e-6, trainBackbone: true },
      values,
    );
    for (let epoch = 0; epoch < cfg.epochs; epoch++) {
      const perm = rngShuffle.permutation(data.count);
      let lossSum = 0;
      for (let step = 0; step < steps; step++) {
        const rows = perm.slice(step * cfg.batchSize, (step + 1) * cfg.batchSize);
        const n = rows.length;
        const loss = await batchGradient(
          device,
          data,
          rows,
          (r) => data.labels[r],
          batchOptions,
          rngAugment,
          sum,
        );
        if (!Number.isFinite(loss))
          throw new Error(`pre-training diverged: loss ${loss} at epoch ${epoch + 1}, step ${step + 1}`);
        const lr = warmupCosineLr(cfg.lr, epoch * steps + step, cfg.warmupEpochs * steps, totalSteps);
        opt.step(values, sum, lr, decay);
        lossSum += loss * n;
        onProgress({ epoch, epochs: cfg.epochs, step, steps, loss, lr });
      }
      epochLosses.push(lossSum / data.count);
    }
  } finally {
    await device.close();
  }
  return {
    backbone: values.slice(0, bb.total),
    epochLosses,
    backend,
    wallSeconds: (performance.now() - started) / 1000,
  };
}
