import type { ProgressEvent } from '@slca/engine';
import { describe, expect, it } from 'vitest';
import { RunProgress } from './run-progress';
import { SystemMeter } from './run-system';

const train = (task: number, epoch: number, step: number): ProgressEvent => ({
  phase: 'train',
  task,
  tasks: 2,
  epoch,
  epochs: 2,
  step,
  steps: 5,
  loss: 0.5,
  lr: 0.01,
  backboneLr: 1e-4,
  images: 8,
});

/** A clock the test moves, in milliseconds. */
function clock(startMs = 1_000) {
  let now = startMs;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('RunProgress', () => {
  it('turns a stage-1 step into TrainProgress with every field of the step', () => {
    const c = clock();
    const meter = new SystemMeter(undefined, c.now, () => 123_456_789, 'test host');
    const event = new RunProgress(c.now, meter).event(train(1, 0, 2));
    expect(event).toEqual({
      train: {
        task: 1,
        tasks: 2,
        epoch: 0,
        epochs: 2,
        step: 2,
        steps: 5,
        loss: 0.5,
        lr: 0.01,
        backboneLr: 1e-4,
        etaSeconds: 0,
        // The first step has no step before it to be timed against: no rate yet, only memory.
        images: 8,
        rssBytes: 123_456_789,
        imagesPerSecond: 0,
        stepMs: 0,
      },
    });
  });

  it('extrapolates the ETA from this execution’s pace since the first step it saw', () => {
    const c = clock();
    const progress = new RunProgress(c.now);
    // 20 steps in all; a resumed execution starts at step 10 (fraction 11/20): no pace yet, no ETA.
    expect(progress.event(train(1, 0, 0))?.train?.etaSeconds).toBe(0);
    // 4 more steps (a fifth of the run) in 10 s: the remaining quarter takes 12.5 s.
    c.advance(10_000);
    expect(progress.event(train(1, 0, 4))?.train?.etaSeconds).toBeCloseTo(12.5, 9);
    c.advance(10_000);
    expect(progress.event(train(1, 1, 4))?.train?.etaSeconds).toBe(0); // the last step
  });

  it('counts the time before the first step (preparation) into the pace', () => {
    const c = clock();
    const progress = new RunProgress(c.now);
    c.advance(30_000);
    progress.event(train(0, 0, 0)); // fraction 1/20
    c.advance(10_000);
    // 40 s for 1/20 → 2/20 of the way; 18/20 left.
    expect(progress.event(train(0, 0, 1))?.train?.etaSeconds).toBeCloseTo((40 * 18) / 1, 9);
  });

  it('reports alignment, statistics and adapter initialisation as PhaseProgress, and nothing for evaluation', () => {
    const progress = new RunProgress(clock().now);
    expect(progress.event({ phase: 'adapters', task: 0, tasks: 2, step: 4, steps: 12 })).toEqual({
      phase: { phase: 'adapters', task: 0, tasks: 2, step: 4, steps: 12, loss: 0 },
    });
    expect(
      progress.event({
        phase: 'align',
        task: 1,
        tasks: 2,
        epoch: 0,
        epochs: 1,
        step: 3,
        steps: 9,
        loss: 0.25,
        lr: 0.01,
      }),
    ).toEqual({ phase: { phase: 'align', task: 1, tasks: 2, step: 3, steps: 9, loss: 0.25 } });
    expect(progress.event({ phase: 'statistics', task: 0, tasks: 2, classes: 10 })).toEqual({
      phase: { phase: 'statistics', task: 0, tasks: 2, step: 0, steps: 10, loss: 0 },
    });
    expect(
      progress.event({ phase: 'evaluate', task: 0, tasks: 2, accuracy: 90, perTask: [90] }),
    ).toBeUndefined();
  });
});
