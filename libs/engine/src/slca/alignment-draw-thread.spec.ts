import { Mt19937 } from '@slca/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@slca/compute';
import { alignClassifier, DEFAULT_ALIGNMENT } from './alignment';
import { AlignmentDrawThread } from './alignment-draw-thread';
import { drawEpoch } from './alignment-draws';
import type { Head } from './heads';
import { classStatistics, type ClassStatistics } from './statistics';

/*
 * Alignment's draws made on their own thread must be the draws made in the calling thread: the same
 * aligned heads bit for bit, and the stream left in the same state for what draws from it next.
 */

const DIM = 3;

function stats(classes: number, rng: Mt19937): ClassStatistics[] {
  return Array.from({ length: classes }, (_, c) => {
    const n = 20;
    const f = Float32Array.from(
      { length: n * DIM },
      (_, i) => (i % DIM === c % DIM ? 1 : 0) + 0.3 * rng.standardNormal(),
    );
    return classStatistics(f, DIM, [...Array(n).keys()], c, Math.floor(c / 2));
  });
}

function heads(tasks: number): Head[] {
  return Array.from({ length: tasks }, (_, t) => ({
    classes: 2,
    weight: Float32Array.from({ length: DIM * 2 }, (_, i) => 0.05 * Math.sin(i + 7 * t)),
    bias: new Float32Array(2),
  }));
}

const OPTIONS = { ...DEFAULT_ALIGNMENT, epochs: 3, samplesPerClass: 16, batchSize: 12 };

describe('alignment draws on a thread of their own', () => {
  let thread: AlignmentDrawThread;

  beforeAll(async () => {
    await initBackend('wasm');
    thread = await AlignmentDrawThread.open();
  });

  afterAll(async () => {
    await thread.close();
  });

  it("an epoch's draws are, in order: each class's normals then its uniforms, then the shuffle", () => {
    const plan = { classes: 2, samplesPerClass: 3, dim: 2, featureScale: true };
    const drawn = drawEpoch(new Mt19937(11), plan);
    const rng = new Mt19937(11);
    const normals: number[] = [];
    const uniforms: number[] = [];
    for (let c = 0; c < 2; c++) {
      for (let i = 0; i < 6; i++) normals.push(Math.fround(rng.standardNormal()));
      for (let i = 0; i < 3; i++) uniforms.push(rng.randomSample());
    }
    expect(Array.from(drawn.normals)).toEqual(normals);
    expect(Array.from(drawn.uniforms ?? [])).toEqual(uniforms);
    expect(Array.from(drawn.order)).toEqual(rng.permutation(6));
  });

  for (const scaled of [false, true]) {
    it(`gives the heads and stream state of drawing here${scaled ? ' (SLCA++ feature scaling)' : ''}`, async () => {
      const s = stats(6, new Mt19937(3));
      const featureScale = scaled ? { mu: 0.02, spread: 0.02 } : null;
      const here = new Mt19937(5);
      const there = new Mt19937(5);
      for (let task = 1; task <= 2; task++) {
        const a = await alignClassifier(heads(task + 1), s, task, OPTIONS, here, undefined, featureScale);
        const b = await alignClassifier(
          heads(task + 1),
          s,
          task,
          OPTIONS,
          there,
          undefined,
          featureScale,
          thread.source,
        );
        expect(b).toEqual(a);
        expect(a[0].weight).not.toEqual(heads(task + 1)[0].weight);
        expect(there.state).toEqual(here.state);
      }
    });
  }

  it('a closed thread fails the alignment with a clear error instead of hanging', async () => {
    const closed = await AlignmentDrawThread.open();
    await closed.close();
    await expect(
      alignClassifier(
        heads(2),
        stats(4, new Mt19937(3)),
        1,
        OPTIONS,
        new Mt19937(5),
        undefined,
        null,
        closed.source,
      ),
    ).rejects.toThrow('alignment draw thread closed');
  });
});
