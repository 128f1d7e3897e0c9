import { Mt19937 } from '@slca/data';
import { beforeAll, describe, expect, it } from 'vitest';
import { TINY_ARCH, tinyConfig, tinyDataset } from '../../../test/tiny-experiment';
import { initBackend, HEAD_BIAS, HEAD_WEIGHT, paramSpecs } from '@slca/compute';
import { DEFAULT_ALIGNMENT, sampleSeenClasses } from '../../slca/alignment';
import { runExperiment, streamRng, type ExperimentState, type ProgressEvent } from '../../slca/experiment';
import type { ClassStatistics } from '../../slca/statistics';
import { backboneLayout, randomBackbone } from '../../weights/vit-weights';
import { topRightSingularVectors } from './lora-init';
import { cosineLrWithFloor, mergeLora, SLCAPP } from './slcapp';

describe('SLCA++', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('learning rates: LoRA 0.5 × lr at the first task, 0.1 × after; norms, biases, CLS 0.1 ×; the rest frozen; cosine to the floor', () => {
    const cfg = tinyConfig('slcapp');
    cfg.stage1 = { ...cfg.stage1, lr: 0.01, backboneLrScale: 0.1, epochs: 4 };
    cfg.slcapp = { ...DEFAULT_SLCA_PP(cfg), minLr: 1e-4 };
    const first = SLCAPP.stage1Plan?.(cfg, 0);
    const later = SLCAPP.stage1Plan?.(cfg, 1);
    if (!first || !later) throw new Error('slcapp has a stage-1 plan');
    expect(first.lr('blocks.0.attn.lora_a', 0)).toBeCloseTo(5e-3, 15);
    expect(later.lr('blocks.0.attn.lora_b', 0)).toBeCloseTo(1e-3, 15);
    for (const name of [
      'blocks.0.norm1.weight',
      'blocks.0.attn.qkv.bias',
      'norm.bias',
      'cls_token',
      'patch_embed.proj.bias',
    ])
      expect(first.lr(name, 0)).toBeCloseTo(1e-3, 15);
    for (const name of [
      'blocks.0.attn.qkv.weight',
      'blocks.0.mlp.fc1.weight',
      'pos_embed',
      'patch_embed.proj.weight',
    ])
      expect(first.lr(name, 0)).toBe(0);
    expect(first.lr(HEAD_WEIGHT, 0)).toBe(0.01);
    // Epoch 2 of 4: halfway, (base + floor)/2; head (0.01 + 1e-4)/2 = 5.05e-3.
    expect(first.lr(HEAD_BIAS, 2)).toBeCloseTo(5.05e-3, 15);
    expect(cosineLrWithFloor(1e-3, 1e-4, 1, 4)).toBeCloseTo(1e-4 + (0.9e-3 * (1 + Math.SQRT1_2)) / 2, 15);
    expect(first.objective).toEqual({ kind: 'symmetric-cross-entropy', a: 1, b: 0.1 });
    expect(first.lora).toEqual({ scale: 0.8 });
  });

  it('scales the old heads by 1 + μ·(t − t_c) at inference, bias unchanged', () => {
    const cfg = tinyConfig('slcapp');
    const heads = [0, 1, 2].map((t) => ({
      classes: 1,
      weight: Float32Array.from([1, -2]),
      bias: Float32Array.from([t]),
    }));
    const scaled = SLCAPP.inferenceHeads?.(cfg, heads, 2) ?? [];
    // μ = 0.02: task 0 → 1.04, task 1 → 1.02, task 2 (current) → 1.
    expect(scaled.map((h) => Array.from(h.weight))).toEqual([
      [Math.fround(1.04), Math.fround(-2.08)],
      [Math.fround(1.02), Math.fround(-2.04)],
      [1, -2],
    ]);
    expect(scaled.map((h) => h.bias[0])).toEqual([0, 1, 2]);
  });

  it('alignment scales each sample of an old class by 1/(1 + s·(t − t_c)), s ∈ [μ − 0.01, μ + 0.01]', () => {
    const d = 2;
    const stats = (classId: number, task: number): ClassStatistics => ({
      classId,
      task,
      count: 10,
      dim: d,
      mean: Float64Array.from([3, -1]),
      covariance: new Float64Array(d * d),
      cholesky: new Float64Array(d * d), // Σ = 0: every draw is the mean, so only the scaling shows
    });
    const options = { ...DEFAULT_ALIGNMENT, meanShrink: false, samplesPerClass: 64 };
    const samples = sampleSeenClasses(
      [stats(0, 0), stats(1, 1), stats(2, 3)],
      3,
      options,
      new Mt19937(5),
      { mu: 0.02, spread: 0.02 },
      [0, 1, 3],
    );
    const rows = samples.arraySync();
    samples.dispose();
    const factors = (c: number) => rows.slice(c * 64, (c + 1) * 64).map((r) => r[0] / 3);
    for (const [c, gap] of [
      [0, 3],
      [1, 2],
    ]) {
      const f = factors(c);
      for (const x of f) {
        expect(x).toBeGreaterThanOrEqual(1 / (1 + 0.03 * gap) - 1e-6);
        expect(x).toBeLessThanOrEqual(1 / (1 + 0.01 * gap) + 1e-6);
      }
      expect(new Set(f).size).toBeGreaterThan(32); // per sample, not one factor per class
      rows.slice(c * 64, (c + 1) * 64).forEach((r, i) => expect(r[1]).toBeCloseTo(-f[i], 5));
    }
    expect(factors(2).every((x) => x === 1)).toBe(true); // the current task's classes are not scaled
  });

  it('a tiny run trains only norms, biases, the CLS token, LoRA and heads; evaluation reads W + s·A·B', async () => {
    const cfg = tinyConfig('slcapp');
    const initial = randomBackbone(TINY_ARCH, streamRng(1, 'test-init'));
    const states: ExperimentState[] = [];
    const evaluated: { backbone: Float32Array; weights: Float32Array[] }[] = [];
    const result = await runExperiment(cfg, tinyDataset(), initial, {
      checkpoint: { every: 1000, save: async (s) => void states.push(s) },
      // What the evaluator is handed after each task (it would score these).
      evaluate: async (input) => {
        evaluated.push({
          backbone: input.backbone.slice(),
          weights: input.heads.map((h) => h.weight.slice()),
        });
        return { accuracy: 0, perTask: input.heads.map(() => 0) };
      },
    });
    const last = states[states.length - 1];
    const layout = backboneLayout(TINY_ARCH);
    for (const spec of paramSpecs(TINY_ARCH)) {
      const before = Array.from(layout.view(initial, spec.name));
      const after = Array.from(layout.view(last.backbone, spec.name));
      const trains = spec.name.includes('norm') || spec.name.includes('bias') || spec.name === 'cls_token';
      // The fresh final norm starts at γ = 1, β = 0, so compare it for having trained, not for its start.
      if (trains) expect(after, spec.name).not.toEqual(before);
      else expect(after, spec.name).toEqual(before);
    }
    // LoRA: B moved away from 0; A started at the frozen weight's singular vectors and trained at task 0.
    const state = last.methodState;
    if (!state) throw new Error('slcapp keeps its LoRA in the method state');
    const r = 4;
    const out = 3 * TINY_ARCH.dim;
    const b = state.tensors['blocks.0.attn.lora_b'];
    expect(b).toHaveLength(r * out);
    expect(b.some((v) => v !== 0)).toBe(true);
    const svd = topRightSingularVectors(
      layout.view(initial, 'blocks.0.attn.qkv.weight'),
      TINY_ARCH.dim,
      out,
      r,
    );
    const a = state.tensors['blocks.0.attn.lora_a'];
    let moved = 0;
    a.forEach((v, i) => (moved = Math.max(moved, Math.abs(v - Math.fround(svd.vectors[i])))));
    expect(moved).toBeGreaterThan(0);
    expect(moved).toBeLessThan(0.5);
    // The merged backbone: qkv = W + 0.8·A·B (float64 sum, one rounding), every other tensor as trained.
    const merged = mergeLora(cfg, last.backbone, state);
    const w = layout.view(last.backbone, 'blocks.0.attn.qkv.weight');
    const m = layout.view(merged, 'blocks.0.attn.qkv.weight');
    for (const [row, col] of [
      [0, 0],
      [5, 17],
      [15, 47],
    ]) {
      let ab = 0;
      for (let k = 0; k < r; k++) ab += a[row * r + k] * b[k * out + col];
      expect(m[row * out + col]).toBe(Math.fround(w[row * out + col] + 0.8 * ab));
    }
    expect(Array.from(layout.view(merged, 'norm.weight'))).toEqual(
      Array.from(layout.view(last.backbone, 'norm.weight')),
    );
    // The evaluator got the merged backbone after each task (the last task's is `merged`), never the bare one.
    expect(evaluated).toHaveLength(3);
    expect(Array.from(evaluated[2].backbone)).toEqual(Array.from(merged));
    expect(Array.from(evaluated[2].backbone)).not.toEqual(Array.from(last.backbone));
    expect(evaluated[2].weights).toHaveLength(3);
    expect(result.tasks.flatMap((t) => t.epochLosses).every(Number.isFinite)).toBe(true);
    expect(result.tasks[1].alignLosses.length).toBeGreaterThan(0);
  });

  it('reports the LoRA initialisation block by block (the adapters phase), yielding between blocks', async () => {
    const base = tinyConfig('slcapp');
    const arch = { ...TINY_ARCH, depth: 3 };
    const cfg = { ...base, arch, stage1: { ...base.stage1, epochs: 1, milestones: [] } };
    const seen: (ProgressEvent | 'other work')[] = [];
    await runExperiment(cfg, tinyDataset(), randomBackbone(arch, streamRng(1, 'test-init')), {
      onProgress: (e) => {
        seen.push(e);
        // Work queued at a block's report runs before the next block's: the loop is free in between.
        if (e.phase === 'adapters' && e.step === 0) setImmediate(() => seen.push('other work'));
      },
    });
    const firstTrain = seen.findIndex((e) => e !== 'other work' && e.phase === 'train');
    const adapters = seen.filter((e) => e === 'other work' || e.phase === 'adapters');
    // One event a block, at the first task only (later tasks take A and B from the method's state).
    expect(adapters).toEqual([
      { phase: 'adapters', task: 0, tasks: 3, step: 0, steps: 3 },
      'other work',
      { phase: 'adapters', task: 0, tasks: 3, step: 1, steps: 3 },
      { phase: 'adapters', task: 0, tasks: 3, step: 2, steps: 3 },
    ]);
    expect(seen.slice(0, 4)).toEqual(adapters);
    expect(firstTrain).toBe(4);
  });

  it('trains the same on two worker threads as in the calling thread, bit for bit', async () => {
    const run = (workers: number) =>
      runExperiment(
        tinyConfig('slcapp', 1993, workers),
        tinyDataset(),
        randomBackbone(TINY_ARCH, streamRng(1, 'test-init')),
      );
    const [inThread, pooled] = [await run(0), await run(2)];
    expect(pooled.workers).toBe(2);
    expect(pooled.tasks.map((t) => t.epochLosses)).toEqual(inThread.tasks.map((t) => t.epochLosses));
    expect(pooled.accuracyMatrix).toEqual(inThread.accuracyMatrix);
  });
});

function DEFAULT_SLCA_PP(cfg: ReturnType<typeof tinyConfig>) {
  if (!cfg.slcapp) throw new Error('tinyConfig(slcapp) has slcapp settings');
  return cfg.slcapp;
}
