import { describe, expect, it, vi } from 'vitest';
import { TINY_ARCH, tinyConfig, tinyDataset } from '../../../test/tiny-experiment';
import { LocalDevice, type GradientBatch, type ModelSpec } from '@slca/compute';
import { runExperiment } from '../../slca/experiment';
import { installReadModel } from '../../slca/evaluate';
import { streamRng } from '../../slca/streams';
import { backboneLayout, randomBackbone } from '../../weights/vit-weights';
import type { ExperimentConfig } from '../../slca/config';

/** One training step as the run's device saw it: the un-prompted forwards, then the gradient call. */
interface Step {
  spec: ModelSpec;
  values: Float32Array;
  queried: { patches: Float32Array; count: number }[];
  answers: Float32Array[];
  shards: GradientBatch[];
}
const steps: Step[] = [];
let otherFeatures = 0;

vi.mock('@slca/compute', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@slca/compute')>();
  return {
    ...actual,
    openComputeDevice: async (...args: Parameters<typeof actual.openComputeDevice>) => {
      const opened = await actual.openComputeDevice(...args);
      const { device } = opened;
      let model: { spec: ModelSpec; values: Float32Array } | null = null;
      let pending: Pick<Step, 'queried' | 'answers'> | null = null;
      const setModel = device.setModel.bind(device);
      const features = device.features.bind(device);
      const gradientsAndSum = device.gradientsAndSum.bind(device);
      device.setModel = async (spec, values) => {
        model = { spec, values };
        return setModel(spec, values);
      };
      device.features = async (chunks, options) => {
        const answers = await features(chunks, options);
        if (options?.unprompted) {
          if (pending) throw new Error('two query passes before one gradient call');
          pending = { queried: chunks.map((c) => ({ ...c, patches: c.patches.slice() })), answers };
        } else otherFeatures += chunks.length;
        return answers;
      };
      device.gradientsAndSum = async (shards, weights, sum) => {
        if (!model) throw new Error('no model');
        steps.push({ ...model, values: model.values.slice(), queried: [], answers: [], ...pending, shards });
        pending = null;
        return gradientsAndSum(shards, weights, sum);
      };
      return opened;
    },
  };
});

const backbone = () => randomBackbone(TINY_ARCH, streamRng(1, 'test-init'));

function join(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, (at += p.length) - p.length);
  return out;
}

function withQueries(cfg: ExperimentConfig, queries: 'per-step' | 'once-per-task'): ExperimentConfig {
  return {
    ...cfg,
    ...(cfg.l2p && { l2p: { ...cfg.l2p, queries } }),
    ...(cfg.dualprompt && { dualprompt: { ...cfg.dualprompt, queries } }),
  };
}

describe('prompt queries per step (the references)', () => {
  it('L2P: each step queries the frozen, un-prompted backbone on exactly the augmented patches it trains on', async () => {
    steps.length = 0;
    otherFeatures = 0;
    const cfg = tinyConfig('l2p');
    expect(cfg.l2p?.queries).toBe('per-step');
    expect(cfg.stage1.augment).not.toBeNull();
    const result = await runExperiment(cfg, tinyDataset(), backbone());
    // 3 tasks × 2 epochs × ⌈12 images / batch 4⌉ steps, each with its own query pass.
    expect(steps).toHaveLength(3 * 2 * 3);
    // Prediction only otherwise: 3 evaluations in chunks of featureChunk 8 over 8, 16, 24 test images.
    expect(otherFeatures).toBe(1 + 2 + 3);
    const reference = new LocalDevice();
    const bb = backboneLayout(TINY_ARCH);
    for (const step of steps) {
      // One chunk per shard, the same patches (the augmented batch), the answers as the shards' queries.
      expect(step.queried.map((c) => c.count)).toEqual(step.shards.map((s) => s.count));
      expect(join(step.queried.map((c) => c.patches))).toEqual(join(step.shards.map((s) => s.patches)));
      expect(join(step.shards.map((s) => s.queries ?? new Float32Array()))).toEqual(join(step.answers));
      // The answers are the backbone's own features: a backbone-only model (no prompts) gives them too.
      await installReadModel(
        reference,
        TINY_ARCH,
        step.values.slice(0, bb.total),
        step.spec.finalNormEps,
        null,
      );
      const [own] = await reference.features([
        {
          patches: join(step.queried.map((c) => c.patches)),
          count: step.shards.reduce((n, s) => n + s.count, 0),
        },
      ]);
      expect(join(step.answers)).toEqual(own);
    }
    // The backbone is frozen, so the queries differ between epochs only through the augmentation: the
    // first task's two epochs see the same images, augmented differently.
    const sorted = (s: Step[]) => join(s.map((x) => join(x.answers))).sort();
    expect(sorted(steps.slice(0, 3))).not.toEqual(sorted(steps.slice(3, 6)));
    expect(result.accuracies.every(Number.isFinite)).toBe(true);
  });

  for (const method of ['l2p', 'dualprompt'] as const) {
    it(`${method}: without augmentation, per-step and once-per-task queries give the same run bit for bit`, async () => {
      const base = tinyConfig(method);
      const plain = { ...base, stage1: { ...base.stage1, augment: null } };
      const run = (queries: 'per-step' | 'once-per-task') =>
        runExperiment(withQueries(plain, queries), tinyDataset(), backbone());
      steps.length = 0;
      const perStep = await run('per-step');
      const queried = steps.filter((s) => s.answers.length > 0).length;
      steps.length = 0;
      const once = await run('once-per-task');
      expect(queried).toBe(18);
      expect(steps.filter((s) => s.answers.length > 0)).toHaveLength(0);
      expect(perStep.accuracyMatrix).toEqual(once.accuracyMatrix);
      expect(perStep.tasks.map((t) => t.epochLosses)).toEqual(once.tasks.map((t) => t.epochLosses));
      expect(perStep.tasks[0].epochLosses.every(Number.isFinite)).toBe(true);
    });
  }
});
