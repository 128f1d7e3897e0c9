import { describe, expect, it } from 'vitest';
import { TINY_ARCH, tinyConfig, tinyDataset } from '../../../test/tiny-experiment';
import { validateConfig } from '../../slca/config';
import { runExperiment, type ExperimentState } from '../../slca/experiment';
import { streamRng } from '../../slca/streams';
import { PROMPT_KEYS, PROMPT_POOL } from '@slca/compute';
import { randomBackbone } from '../../weights/vit-weights';

const backbone = () => randomBackbone(TINY_ARCH, streamRng(1, 'test-init'));

async function run(cfg: ReturnType<typeof tinyConfig>) {
  const states: ExperimentState[] = [];
  const result = await runExperiment(cfg, tinyDataset(), backbone(), {
    checkpoint: { every: 1000, save: async (s) => void states.push(s) },
  });
  return { result, states };
}

describe('L2P on tiny data', () => {
  it('keeps the backbone frozen, trains the shared prompt pool and keys, and leaves one head per task', async () => {
    const cfg = tinyConfig('l2p');
    const { result, states } = await run(cfg);
    expect(result.taskSizes).toEqual([2, 2, 2]);
    const boundaries = states.filter((s) => s.training === null);
    expect(boundaries).toHaveLength(3);
    for (const s of boundaries) expect(Array.from(s.backbone)).toEqual(Array.from(backbone()));
    const pools = boundaries.map((s) => Array.from(s.methodState?.tensors[PROMPT_POOL] ?? []));
    const keys = boundaries.map((s) => Array.from(s.methodState?.tensors[PROMPT_KEYS] ?? []));
    expect(pools[0]).toHaveLength(10 * 5 * TINY_ARCH.dim);
    expect(keys[0]).toHaveLength(10 * TINY_ARCH.dim);
    // Each task moves the pool and the keys (the key loss pulls the selected keys toward the queries).
    expect(pools[1]).not.toEqual(pools[0]);
    expect(keys[2]).not.toEqual(keys[1]);
    expect(boundaries[2].heads.map((h) => h.classes)).toEqual([2, 2, 2]);
    // Every head was trained in its own task and then left alone (class-masked training).
    expect(Array.from(boundaries[2].heads[0].weight)).toEqual(Array.from(boundaries[0].heads[0].weight));
    expect(result.tasks.every((t) => t.epochLosses.every(Number.isFinite))).toBe(true);
  });

  it('gives the same run bit for bit on worker threads (prompt selection is made for the whole batch)', async () => {
    const inThread = await run(tinyConfig('l2p', 1993, 0));
    const onWorkers = await run(tinyConfig('l2p', 1993, 2));
    expect(onWorkers.result.accuracyMatrix).toEqual(inThread.result.accuracyMatrix);
    expect(onWorkers.result.tasks.map((t) => t.epochLosses)).toEqual(
      inThread.result.tasks.map((t) => t.epochLosses),
    );
    const pool = (r: typeof inThread) => Array.from(r.states.at(-1)?.methodState?.tensors[PROMPT_POOL] ?? []);
    expect(pool(onWorkers)).toEqual(pool(inThread));
  });

  it('L2P + CA: alignment selected in the experiment follows L2P over the same stage 1', async () => {
    const plain = tinyConfig('l2p');
    const aligned = { ...plain, alignment: tinyConfig('slca').alignment };
    validateConfig(aligned);
    const a = await run(plain);
    const b = await run(aligned);
    expect(b.result.tasks.map((t) => t.epochLosses)).toEqual(a.result.tasks.map((t) => t.epochLosses));
    expect(b.result.accuracies[0]).toBe(a.result.accuracies[0]);
    expect(b.result.tasks[1].alignLosses.length).toBeGreaterThan(0);
  });

  it('refuses the onnx device and a top-k larger than the pool, naming the field', () => {
    const cfg = tinyConfig('l2p');
    expect(() => validateConfig({ ...cfg, compute: { ...cfg.compute, device: 'onnx' } })).toThrow(
      /^compute\.device must be wasm for method l2p/,
    );
    const l2p = cfg.l2p;
    if (!l2p) throw new Error('tinyConfig(l2p) has no l2p settings');
    expect(() => validateConfig({ ...cfg, l2p: { ...l2p, topK: 11 } })).toThrow(
      'l2p.topK must be at most l2p.poolSize 10, got 11',
    );
    expect(() => validateConfig({ ...tinyConfig('slca'), l2p })).toThrow(
      'l2p only for method l2p; remove it for method slca',
    );
  });
});
