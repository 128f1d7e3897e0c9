import { describe, expect, it } from 'vitest';
import { METHOD_REGISTRY } from '@slca/engine';
import { forwardMacs, numTokens, paramCount, VIT_PRESETS, type VitArch } from '@slca/compute';
import { executedForwardMacs, formatBenchReport, runBench, VIT_B16_STEP } from './bench';
import { benchInputPipeline } from './pipeline-bench';

/* The bench is a measuring script, not a timed test: this only checks that it runs and reports coherently. */
describe('bench', () => {
  it('measures the 1-block ViT in-thread, CLS-only and all tokens, and formats the report', async () => {
    const report = await runBench({
      workers: [0],
      seconds: 0.05,
      repeats: 1,
      warmupSteps: 1,
      arches: ['vit-bench-1block'],
      skipMatmul: true,
    });
    expect(report.backend.name).toBe('wasm');
    expect(report.arches.map((a) => a.name)).toEqual(['vit-bench-1block', 'vit-bench-1block (all tokens)']);
    const [cls, all] = report.arches;
    expect(cls.tokens).toBe(65);
    expect(cls.executedForwardMacsPerImage).toBeLessThan(cls.forwardMacsPerImage);
    expect(all.executedForwardMacsPerImage).toBe(all.forwardMacsPerImage);
    expect(cls.trainFlopsPerImage).toBe(3 * 2 * forwardMacs(VIT_PRESETS['vit-bench-1block']));
    for (const a of report.arches) {
      const run = a.runs[0];
      expect(run.train.imagesPerSecond).toBeGreaterThan(0);
      // effective GFLOP/s = img/s × nominal FLOPs per image
      expect(run.train.gflops).toBeCloseTo((run.train.imagesPerSecond * a.trainFlopsPerImage) / 1e9, 6);
    }
    const text = formatBenchReport(report);
    expect(text).toContain('vit-bench-1block (all tokens)');
    expect(text).toContain('executes the full nominal model');
  });

  it('times every registered method’s stage-1 step on the embedded ViT, SLCA++ training a fraction of SLCA’s tensors', async () => {
    const report = await runBench({
      workers: [0],
      seconds: 0.01,
      repeats: 1,
      warmupSteps: 0,
      batch: 4,
      arches: [],
      allTokenArches: [],
      skipMatmul: true,
      methodsArch: 'vit-emoji',
    });
    const rows = report.methods?.rows ?? [];
    expect(rows.map((r) => r.method)).toEqual(METHOD_REGISTRY.map((m) => m.id));
    const row = (id: string) => rows.find((r) => r.method === id);
    expect(row('simplecil')).toMatchObject({ trains: 'never', runs: [] });
    expect(row('ranpac')?.trains).toBe('first task');
    const slca = row('slca');
    const slcapp = row('slcapp');
    // SLCA trains the whole backbone and the head; SLCA++ norms, biases, CLS, LoRA (4 blocks × (128·4 + 4·384)) and the head.
    const arch = VIT_PRESETS['vit-emoji'];
    expect(slca?.trainedParams).toBe(paramCount(arch) + arch.dim * 10 + 10);
    expect(slcapp?.trainedParams).toBeLessThan((slca?.trainedParams ?? 0) / 10);
    expect(slcapp?.trainedParams).toBeGreaterThan(4 * (128 * 4 + 4 * 384));
    for (const r of rows.filter((x) => x.trains !== 'never'))
      expect(r.runs[0].train.imagesPerSecond).toBeGreaterThan(0);
    const text = formatBenchReport(report);
    expect(text).toContain('methods on vit-emoji');
    // By hand for dim 128, depth 4, MLP 512: norms 4·4·128 + 2·128 = 2304; biases 4·(384 + 128 + 512 + 128)
    // + patch embedding 128 = 4736; CLS 128; LoRA 4·(128·4 + 4·384) = 8192; head 128·10 + 10 = 1290.
    expect(slcapp?.trainedParams).toBe(2304 + 4736 + 128 + 8192 + 1290);
    expect(text).toMatch(/SLCA\+\+ +every task +16650 /);
    // L2P: pool 10·5·128 + keys 10·128 + head 1290; DualPrompt: G 2 blocks·2·5·128, E 2 blocks·2·10·5·128,
    // keys 10·128, head 1290 (the backbone frozen in both).
    expect(row('l2p')?.trainedParams).toBe(6400 + 1280 + 1290);
    expect(row('dualprompt')?.trainedParams).toBe(2560 + 25600 + 1280 + 1290);
  });

  it('measures the onnx device and records it in the report', async () => {
    const report = await runBench({
      workers: [0],
      seconds: 0.05,
      repeats: 1,
      warmupSteps: 1,
      arches: ['vit-bench-1block'],
      allTokenArches: [],
      skipMatmul: true,
      device: 'onnx',
    });
    expect(report.device).toEqual({
      name: 'onnx',
      forward: 'onnxruntime-node (CPU EP)',
      gradients: 'onnxruntime-node (CPU EP); tfjs-wasm for the contrastive objective',
    });
    expect(report.arches[0].runs[0].device).toBe('LocalDevice (main thread), onnx');
    expect(report.arches[0].runs[0].forward.imagesPerSecond).toBeGreaterThan(0);
    expect(formatBenchReport(report)).toContain('device onnx: forward on onnxruntime-node (CPU EP)');
  });

  it('times single training steps of a (tiny) large-model row and formats it', async () => {
    const tiny: VitArch = { imageSize: 8, patchSize: 4, dim: 16, depth: 2, heads: 2, mlpDim: 32 };
    const report = await runBench({
      workers: [0],
      arches: [],
      skipMatmul: true,
      step: { arch: { name: 'tiny-vit', arch: tiny }, batch: 3, warmupSteps: 1, steps: 2 },
    });
    expect(report.arches).toEqual([]);
    const step = report.step;
    if (!step) throw new Error('no step row');
    expect(step).toMatchObject({
      name: 'tiny-vit',
      arch: tiny,
      batch: 3,
      shards: 3,
      warmupSteps: 1,
      steps: 2,
    });
    expect(step.tokens).toBe(5);
    expect(step.params).toBe(paramCount(tiny));
    expect(step.trainFlopsPerImage).toBe(3 * 2 * forwardMacs(tiny));
    expect(step.runs.map((r) => r.workers)).toEqual([0]); // default: the largest bench worker count
    const [run] = step.runs;
    expect(run.device).toBe('LocalDevice (main thread)');
    expect(Number.isFinite(run.loss)).toBe(true);
    expect(run.peakRssBytes).toBeGreaterThan(0);
    expect(step.processMaxRssBytes).toBeGreaterThanOrEqual(run.peakRssBytes * 0.5);
    for (const m of [run.train, run.forward]) {
      expect(m.samples).toHaveLength(2);
      expect(m.seconds).toBeGreaterThan(0);
      expect(m.imagesPerSecond).toBeCloseTo(3 / m.seconds, 6);
    }
    expect(run.train.gflops).toBeCloseTo((run.train.imagesPerSecond * step.trainFlopsPerImage) / 1e9, 9);
    expect(run.forward.gflops).toBeCloseTo(
      (run.forward.imagesPerSecond * step.forwardFlopsPerImage) / 1e9,
      9,
    );
    const text = formatBenchReport(report);
    expect(text).toContain('tiny-vit training step, batch 3 in 3 shards');
    expect(text).toMatch(/s\/step +train img\/s/);
    expect(text).toContain('LocalDevice (main thread)');
    expect(text).toContain('process peak RSS');
  });

  it('names ViT-B/16 at batch 8, one image per shard, as the default large step', () => {
    expect(VIT_B16_STEP).toMatchObject({ arch: 'vit-b16', batch: 8, shards: 8, warmupSteps: 2, steps: 3 });
    expect(numTokens(VIT_PRESETS['vit-b16'])).toBe(197);
  });

  it('counts the CLS-only last block by hand for the 1-block ViT', () => {
    // 65 tokens × 192: patch 64·48·192 = 589,824; K,V for all tokens 65·192·384 = 4,792,320;
    // CLS query, projection 2·192² = 73,728; CLS attention 2·65·192 = 24,960; CLS MLP 2·192·768 = 294,912
    expect(executedForwardMacs(VIT_PRESETS['vit-bench-1block'])).toBe(
      589_824 + 4_792_320 + 73_728 + 24_960 + 294_912,
    );
  });

  it('measures the input pipeline of every paper source kind (train and eval views)', async () => {
    const p = await benchInputPipeline({ images: 2, repeats: 1, size: 16, transformWorkers: 2 });
    expect(p.transformWorkers).toBe(2);
    expect(p.runs.map((r) => r.benchmark)).toEqual(['cifar100', 'imagenet-r', 'cub200']);
    for (const r of p.runs) {
      expect(r.images).toBe(2);
      expect(r.trainImagesPerSecond).toBeGreaterThan(0);
      expect(r.trainPooledImagesPerSecond).toBeGreaterThan(0);
      expect(r.evalImagesPerSecond).toBeGreaterThan(0);
    }
  });
});
