import { describe, expect, it } from 'vitest';
import { TINY_ARCH, tinyConfig, tinyDataset } from '../../test/tiny-experiment';
import { configurationSpec } from '../experiment/catalog';
import { resolveExperimentText } from '../experiment/resolve';
import { runExperiment, type ProgressEvent } from '../slca/experiment';
import { streamRng } from '../slca/streams';
import { randomBackbone } from '../weights/vit-weights';

const backbone = () => randomBackbone(TINY_ARCH, streamRng(1, 'test-init'));
const comparable = (r: Awaited<ReturnType<typeof runExperiment>>) => ({
  matrix: r.accuracyMatrix,
  epochLosses: r.tasks.map((t) => t.epochLosses),
  alignLosses: r.tasks.map((t) => t.alignLosses),
});

describe('classifier alignment as a plug-in', () => {
  it('is selected in the experiment file after any method with a linear classifier: Seq FT + CA', () => {
    const alignment = configurationSpec('embedded/vit-emoji/slca').alignment;
    const text = [
      'extends: embedded/vit-emoji/seqft',
      'alignment:',
      ...Object.entries(alignment ?? {}).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`),
    ].join('\n');
    const spec = resolveExperimentText(text, { source: 'seqft-ca.yaml' });
    expect(spec.method).toBe('seqft');
    expect(spec.stage1.backboneLrScale).toBe(1);
    expect(spec.alignment).toEqual(alignment);
  });

  it('Slow Learner + CA with logit normalisation is SLCA, bit for bit', async () => {
    const data = tinyDataset();
    const slca = tinyConfig('slca');
    const slPlusCa = { ...tinyConfig('sl'), alignment: slca.alignment };
    const a = await runExperiment(slca, data, backbone());
    const b = await runExperiment(slPlusCa, data, backbone());
    expect(comparable(b)).toEqual(comparable(a));
    expect(a.tasks[1].alignLosses.length).toBeGreaterThan(0);
  });

  it('Seq FT + CA aligns from the second task on, over the same stage 1 as Seq FT', async () => {
    const data = tinyDataset();
    const seqft = tinyConfig('seqft');
    const events: ProgressEvent[] = [];
    const plain = await runExperiment(seqft, data, backbone());
    const aligned = await runExperiment(
      { ...seqft, alignment: tinyConfig('slca').alignment },
      data,
      backbone(),
      {
        onProgress: (e) => events.push(e),
      },
    );
    expect(new Set(events.filter((e) => e.phase === 'align').map((e) => e.task))).toEqual(new Set([1, 2]));
    // Stage 1 is untouched (the aligned heads are evaluated, then the stage-1 heads restored) …
    expect(aligned.tasks.map((t) => t.epochLosses)).toEqual(plain.tasks.map((t) => t.epochLosses));
    // … and the first task, before any alignment, scores the same.
    expect(aligned.accuracies[0]).toBe(plain.accuracies[0]);
    expect(aligned.tasks[2].alignLosses.length).toBeGreaterThan(0);
  });
});
