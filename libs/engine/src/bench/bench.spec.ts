import { describe, expect, it } from 'vitest';
import { forwardMacs, VIT_PRESETS } from '../vit/arch';
import { executedForwardMacs, formatBenchReport, runBench } from './bench';

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
      expect(a.reference?.trainImagesPerSecond).toBe(197);
    }
    const text = formatBenchReport(report);
    expect(text).toContain('vit-bench-1block (all tokens)');
    expect(text).toContain('executes the full nominal model');
  });

  it('counts the CLS-only last block by hand for the 1-block ViT', () => {
    // 65 tokens × 192: patch 64·48·192 = 589,824; K,V for all tokens 65·192·384 = 4,792,320;
    // CLS query, projection 2·192² = 73,728; CLS attention 2·65·192 = 24,960; CLS MLP 2·192·768 = 294,912
    expect(executedForwardMacs(VIT_PRESETS['vit-bench-1block'])).toBe(
      589_824 + 4_792_320 + 73_728 + 24_960 + 294_912,
    );
  });
});
