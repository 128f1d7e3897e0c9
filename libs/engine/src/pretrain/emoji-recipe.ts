import { EMBEDDED_ARCH, IMAGENET_NORMALIZE } from '../benchmarks/embedded';
import type { PretrainConfig } from './supervised';

/**
 * The recipe that produced the shipped embedded backbone (`slca pretrain` reproduces it): label-supervised
 * training from scratch on the emoji sub-categories outside Split Emoji, Noto (Google) renditions only, so
 * the test vendor's style (Twemoji) is never seen before the downstream benchmark.
 */
export const EMOJI_PRETRAIN_VENDORS = ['google'] as const;

export const EMOJI_PRETRAIN_RECIPE: PretrainConfig = {
  arch: { ...EMBEDDED_ARCH },
  seed: 0,
  epochs: 30,
  warmupEpochs: 3,
  batchSize: 64,
  lr: 1e-3,
  weightDecay: 0.05,
  labelSmoothing: 0,
  augment: { flipProb: 0.5, maxShift: 4 },
  normalize: IMAGENET_NORMALIZE,
  compute: { backend: 'wasm', workers: 2, shards: 2 },
};
