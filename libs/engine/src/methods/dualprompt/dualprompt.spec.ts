import { describe, expect, it } from 'vitest';
import { TINY_ARCH, tinyConfig, tinyDataset } from '../../../test/tiny-experiment';
import { validateConfig } from '../../slca/config';
import { runExperiment, type ExperimentState } from '../../slca/experiment';
import { streamRng } from '../../slca/streams';
import { PROMPT_KEYS, PROMPT_POOL } from '@slca/compute';
import { randomBackbone } from '../../weights/vit-weights';
import { initialDualPrompts } from './dualprompt';

const backbone = () => randomBackbone(TINY_ARCH, streamRng(1, 'test-init'));

async function run(cfg: ReturnType<typeof tinyConfig>) {
  const states: ExperimentState[] = [];
  const result = await runExperiment(cfg, tinyDataset(), backbone(), {
    checkpoint: { every: 1000, save: async (s) => void states.push(s) },
  });
  return { result, boundaries: states.filter((s) => s.training === null) };
}

/** Rows [k] of a [pool, width] tensor (one E-prompt block: key and value parts side by side per prompt). */
const prompt = (values: ArrayLike<number>, k: number, width: number) =>
  Array.from(values).slice(k * width, (k + 1) * width);

describe('DualPrompt on tiny data', () => {
  it('task t trains E-prompt t and key t only (the prompt mask); the backbone stays frozen', async () => {
    const cfg = tinyConfig('dualprompt');
    const { boundaries } = await run(cfg);
    expect(boundaries).toHaveLength(3);
    for (const s of boundaries) expect(Array.from(s.backbone)).toEqual(Array.from(backbone()));
    const init = Object.fromEntries(initialDualPrompts(cfg).map((t) => [t.name, t.values]));
    const o = cfg.dualprompt;
    if (!o) throw new Error('no dualprompt settings');
    // One E-prompt block (the tiny ViT's block 0): [1, 2, pool, length, dim], key part then value part.
    const width = o.eLength * TINY_ARCH.dim;
    const part = (values: ArrayLike<number>, c: number, k: number) =>
      prompt(Array.from(values).slice(c * o.poolSize * width, (c + 1) * o.poolSize * width), k, width);
    const pool = (t: number) => boundaries[t].methodState?.tensors[PROMPT_POOL] ?? [];
    const keys = (t: number) => boundaries[t].methodState?.tensors[PROMPT_KEYS] ?? [];
    for (const c of [0, 1]) {
      // After task 1: E-prompt 0 trained; 1 and the rest as initialised.
      expect(part(pool(0), c, 0)).not.toEqual(part(init[PROMPT_POOL], c, 0));
      for (const k of [1, 2, 5, 9]) expect(part(pool(0), c, k)).toEqual(part(init[PROMPT_POOL], c, k));
      // Task 2 leaves E-prompt 0 alone and trains E-prompt 1 (which started as a copy of E-prompt 0).
      expect(part(pool(1), c, 0)).toEqual(part(pool(0), c, 0));
      expect(part(pool(1), c, 1)).not.toEqual(part(pool(0), c, 1));
      expect(part(pool(1), c, 2)).toEqual(part(init[PROMPT_POOL], c, 2));
    }
    const dim = TINY_ARCH.dim;
    expect(prompt(keys(0), 0, dim)).not.toEqual(prompt(init[PROMPT_KEYS], 0, dim));
    expect(prompt(keys(0), 1, dim)).toEqual(prompt(init[PROMPT_KEYS], 1, dim));
    expect(prompt(keys(1), 0, dim)).toEqual(prompt(keys(0), 0, dim));
    expect(prompt(keys(1), 1, dim)).not.toEqual(prompt(keys(0), 1, dim));
  });

  it('DualPrompt + CA runs alignment over the same stage 1', async () => {
    const plain = tinyConfig('dualprompt');
    const aligned = { ...plain, alignment: tinyConfig('slca').alignment };
    validateConfig(aligned);
    const a = await run(plain);
    const b = await run(aligned);
    expect(b.result.tasks.map((t) => t.epochLosses)).toEqual(a.result.tasks.map((t) => t.epochLosses));
    expect(b.result.tasks[2].alignLosses.length).toBeGreaterThan(0);
  });

  it('refuses blocks the backbone lacks, a block with both prompts, and the onnx device, by field', () => {
    const cfg = tinyConfig('dualprompt');
    const o = cfg.dualprompt;
    if (!o) throw new Error('no dualprompt settings');
    expect(() => validateConfig({ ...cfg, dualprompt: { ...o, eLayers: [0, 1] } })).toThrow(
      'dualprompt.eLayers block 1 does not exist: the backbone has blocks 0..0',
    );
    expect(() => validateConfig({ ...cfg, dualprompt: { ...o, gLayers: [0] } })).toThrow(
      'dualprompt.eLayers block 0 is also a G-prompt block (each block takes one prefix)',
    );
    expect(() => validateConfig({ ...cfg, compute: { ...cfg.compute, device: 'onnx' } })).toThrow(
      /^compute\.device must be wasm for method dualprompt/,
    );
  });
});
