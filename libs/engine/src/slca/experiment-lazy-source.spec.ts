import { applyTransforms, rgbImage, transformBatch, type RgbImage, type TransformStep } from '@slca/data';
import { describe, expect, it } from 'vitest';
import { TINY_ARCH, tinyConfig, tinyDataset } from '../../test/tiny-experiment';
import { gatherImages, type DecodedImageSet, type ImageSet } from '../train/batch-gradient';
import { randomBackbone } from '../weights/vit-weights';
import { ConfigError, validateConfig } from './config';
import {
  ExperimentError,
  runExperiment,
  streamRng,
  type ExperimentData,
  type ExperimentResult,
  type ExperimentState,
} from './experiment';
import { MemoryStatistics } from './statistics-sink';

const backbone = () => randomBackbone(TINY_ARCH, streamRng(1, 'test-init'));
const comparable = (r: ExperimentResult) => ({
  matrix: r.accuracyMatrix,
  epochLosses: r.tasks.map((t) => t.epochLosses),
  alignLosses: r.tasks.map((t) => t.alignLosses),
});

/** The same pixels behind the lazy interface: reads are copies of the decoded rows. */
function lazyCopy(set: DecodedImageSet): ImageSet {
  return {
    labels: set.labels,
    count: set.count,
    source: {
      read: async (rows) => gatherImages(set, rows, 8 * 8 * 3),
      transform: () => Promise.reject(new Error('not used')),
    },
  };
}

/**
 * A dataset at a "source size" of 12 px (each tiny image bordered by 2 px of its edge colours), read
 * through the real pipeline functions: the eval view is a centre crop back to 8 px, training runs the
 * configured steps per batch. Records every training call.
 */
function lazySource(data: ExperimentData) {
  const calls: { rows: number[]; steps: readonly TransformStep[] }[] = [];
  const grow = (set: DecodedImageSet): RgbImage[] =>
    Array.from({ length: set.count }, (_, i) => {
      const out = rgbImage(12, 12);
      for (let y = 0; y < 12; y++)
        for (let x = 0; x < 12; x++) {
          const sy = Math.min(7, Math.max(0, y - 2));
          const sx = Math.min(7, Math.max(0, x - 2));
          for (let c = 0; c < 3; c++)
            out.data[(y * 12 + x) * 3 + c] = set.images[((i * 8 + sy) * 8 + sx) * 3 + c];
        }
      return out;
    });
  const lazy = (set: DecodedImageSet): ImageSet => {
    const sources = grow(set);
    return {
      labels: set.labels,
      count: set.count,
      source: {
        read: async (rows) => {
          const out = new Float32Array(rows.length * 192);
          rows.forEach((r, i) =>
            out.set(
              applyTransforms(sources[r], [{ op: 'center-crop', size: 8 }], streamRng(0, 'x')).data,
              i * 192,
            ),
          );
          return out;
        },
        transform: async (rows, steps, rng) => {
          calls.push({ rows: [...rows], steps });
          return transformBatch(
            rows.map((r) => sources[r]),
            steps,
            rng,
            8,
          );
        },
      },
    };
  };
  const decoded = (s: ImageSet) => s as DecodedImageSet;
  return {
    calls,
    data: { ...data, train: lazy(decoded(data.train)), test: lazy(decoded(data.test)) } as ExperimentData,
  };
}

const PIPELINE: TransformStep[] = [
  { op: 'random-crop', size: 8 },
  { op: 'hflip', p: 0.5 },
];

describe('lazy image sets (datasets decoded per batch)', () => {
  it('a lazy set reading the same pixels gives the same run, bit for bit (with and without flips/shifts)', async () => {
    const data = tinyDataset();
    const lazy: ExperimentData = {
      ...data,
      train: lazyCopy(data.train as DecodedImageSet),
      test: lazyCopy(data.test as DecodedImageSet),
    };
    for (const augment of [null, { flipProb: 0.5, maxShift: 1 }]) {
      const cfg = tinyConfig('slca');
      cfg.stage1.augment = augment;
      const eager = await runExperiment(cfg, data, backbone());
      const viaSource = await runExperiment(cfg, lazy, backbone());
      expect(comparable(viaSource)).toEqual(comparable(eager));
    }
  });

  it('stage 1 runs the pipeline on every training batch, deterministically for a seed', async () => {
    const cfg = tinyConfig('slca');
    cfg.stage1.augment = { transforms: PIPELINE };
    const first = lazySource(tinyDataset());
    const a = await runExperiment(cfg, first.data, backbone());
    // 3 tasks × 2 epochs × 12 images, in batches of at most 4, each row once per epoch.
    expect(first.calls.every((c) => c.rows.length <= 4)).toBe(true);
    for (const c of first.calls) expect(c.steps).toEqual(PIPELINE);
    expect(first.calls.reduce((n, c) => n + c.rows.length, 0)).toBe(3 * 2 * 12);
    const task0 = first.calls.slice(0, 6).flatMap((c) => c.rows);
    expect(new Set(task0.slice(0, 12)).size).toBe(12);

    const again = lazySource(tinyDataset());
    expect(comparable(await runExperiment(cfg, again.data, backbone()))).toEqual(comparable(a));

    // The draws matter: without the random steps (centre crop only) training sees other pixels.
    const plain = tinyConfig('slca');
    plain.stage1.augment = { transforms: [{ op: 'center-crop', size: 8 }] };
    const c = await runExperiment(plain, lazySource(tinyDataset()).data, backbone());
    expect(c.tasks[0].epochLosses).not.toEqual(a.tasks[0].epochLosses);
  });

  it('resuming mid-task continues the pipeline draws exactly (bit-identical)', async () => {
    const cfg = tinyConfig('slca', 1996);
    cfg.stage1.augment = { transforms: PIPELINE };
    const states: ExperimentState[] = [];
    const stats = new MemoryStatistics();
    const full = await runExperiment(cfg, lazySource(tinyDataset()).data, backbone(), {
      statistics: stats,
      checkpoint: { every: 2, save: async (s) => void states.push(s) },
    });
    const mid = states.find((s) => s.task === 1 && s.training !== undefined && s.step > 0);
    expect(mid).toBeDefined();
    const state = mid as ExperimentState;
    const store = new MemoryStatistics();
    const earlier = (await stats.get([0, 1])).filter((s) => s.task < state.task);
    for (const s of earlier) await store.put(s);
    const resumed = await runExperiment(cfg, lazySource(tinyDataset()).data, backbone(), {
      resumeFrom: state,
      statistics: store,
    });
    expect(comparable(resumed)).toEqual(comparable(full));
  });

  it('refuses a pipeline on images already decoded at the model size, saying how to load them', async () => {
    const cfg = tinyConfig('sl');
    cfg.stage1.augment = { transforms: PIPELINE };
    await expect(runExperiment(cfg, tinyDataset(), backbone())).rejects.toThrow(ExperimentError);
    await expect(runExperiment(cfg, tinyDataset(), backbone())).rejects.toThrow(/loadManifestSource/);
  });

  it('validates the augmentation in the configuration, naming the field', () => {
    const cfg = tinyConfig('sl');
    cfg.stage1.augment = { transforms: [{ op: 'rotate' } as unknown as TransformStep] };
    expect(() => validateConfig(cfg)).toThrow(ConfigError);
    expect(() => validateConfig(cfg)).toThrow('stage1.augment.transforms[0].op must be one of');
    cfg.stage1.augment = { transforms: [] };
    expect(() => validateConfig(cfg)).toThrow('stage1.augment.transforms must be a non-empty list');
    cfg.stage1.augment = { flipProb: 2, maxShift: 1 };
    expect(() => validateConfig(cfg)).toThrow('stage1.augment.flipProb must be in [0, 1], got 2');
  });
});
