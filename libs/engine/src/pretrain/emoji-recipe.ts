import { EMBEDDED_ARCH, IMAGENET_NORMALIZE } from '../benchmarks/embedded';
import type { PretrainConfig } from './supervised';

/**
 * The recipe that produced the shipped embedded backbone (`slca pretrain` reproduces it): label-supervised
 * training from scratch on the emoji sub-categories outside Split Emoji, in both renditions. Pre-training
 * on Noto alone (914 images, 30 epochs) reached only 18.0 % NCM on Split Emoji, below raw pixels (23.6 %);
 * adding the Twemoji renditions of the *other* sub-categories (a mild style leak towards the test vendor,
 * which the README states) gave 22.5 % after 30 epochs and 21.8 % after the 60 epochs shipped (random
 * init 9.6 %).
 */
export const EMOJI_PRETRAIN_VENDORS = ['google', 'twitter'] as const;

/**
 * Classes of the shipped recipe: emoji sub-categories. One class per emoji (its two renditions as
 * examples, 914 classes) was measured too and did worse: 19.5 % NCM after 30 epochs.
 */
export const EMOJI_PRETRAIN_TARGET: EmojiPretrainTarget = 'subcategory';

export const EMOJI_PRETRAIN_RECIPE: PretrainConfig = {
  arch: { ...EMBEDDED_ARCH },
  seed: 0,
  epochs: 60,
  warmupEpochs: 5,
  batchSize: 64,
  lr: 1e-3,
  weightDecay: 0.05,
  labelSmoothing: 0,
  augment: { flipProb: 0.5, maxShift: 4 },
  normalize: IMAGENET_NORMALIZE,
  compute: { backend: 'wasm', workers: 2, shards: 2 },
};

/** What a pre-training image is labelled with: its emoji sub-category, or the emoji itself. */
export type EmojiPretrainTarget = 'subcategory' | 'emoji';

/**
 * Labels every image with the identity of the emoji it draws (its file name, which both vendors share:
 * `1f600.png`), so each class holds the same emoji in different renditions and skin tones are their own
 * emoji. Returns the labels in input order and the number of classes (sorted file names).
 */
export function emojiIdentityLabels(files: readonly string[]): { labels: Int32Array; classes: number } {
  const names = files.map((f) => f.slice(f.lastIndexOf('/') + 1));
  const sorted = [...new Set(names)].sort();
  const index = new Map(sorted.map((n, i) => [n, i]));
  return { labels: Int32Array.from(names, (n) => index.get(n) ?? -1), classes: sorted.length };
}
