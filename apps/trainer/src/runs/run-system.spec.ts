import { describe, expect, it } from 'vitest';
import { hostDescription, SystemMeter, type MeteredStep } from './run-system';

const step = (task: number, epoch: number, s: number, images = 8, steps = 3): MeteredStep => ({
  task,
  epoch,
  step: s,
  steps,
  images,
});

/** A clock and a memory reading the test sets. */
function machine() {
  const m = { now: 0, rss: 100 };
  return {
    m,
    meter: (previous?: ConstructorParameters<typeof SystemMeter>[0]) =>
      new SystemMeter(
        previous,
        () => m.now,
        () => m.rss,
        'test host',
      ),
  };
}

describe('SystemMeter', () => {
  it('times consecutive steps: img/s = images over their time, step time their mean (hand-computed)', () => {
    const { m, meter: make } = machine();
    const meter = make();
    expect(meter.figures()).toBeUndefined();
    expect(meter.step(step(0, 0, 0))).toEqual({ rssBytes: 100, imagesPerSecond: 0, stepMs: 0 });
    m.now = 500;
    m.rss = 300;
    // 8 images in 0.5 s.
    expect(meter.step(step(0, 0, 1))).toEqual({ rssBytes: 300, imagesPerSecond: 16, stepMs: 500 });
    m.now = 2000;
    m.rss = 200;
    // The last batch holds 4 images; 12 images in 2 s, 2 steps: 6 img/s, 1000 ms a step.
    expect(meter.step(step(0, 0, 2, 4))).toEqual({ rssBytes: 200, imagesPerSecond: 6, stepMs: 1000 });
    // Into the next epoch: 8 more in 1 s → 20 images in 3 s over 3 steps.
    m.now = 3000;
    meter.step(step(0, 1, 0));
    expect(meter.figures()).toEqual({
      imagesPerSecond: 20 / 3,
      stepMs: 1000,
      steps: 3,
      peakRssBytes: 300,
      host: 'test host',
    });
  });

  it('does not time a step across alignment and evaluation, nor one that skips steps', () => {
    const { m, meter: make } = machine();
    const meter = make();
    meter.step(step(0, 0, 0));
    m.now = 1000;
    meter.step(step(0, 0, 1));
    meter.interrupt(); // alignment of task 1, evaluation
    m.now = 60_000;
    meter.step(step(1, 0, 0));
    m.now = 61_000;
    meter.step(step(1, 0, 2)); // a gap (steps it never saw)
    expect(meter.figures()).toMatchObject({ steps: 1, stepMs: 1000, imagesPerSecond: 8 });
  });

  it('carries the figures of a resumed run’s earlier executions on', () => {
    const { m, meter: make } = machine();
    // Before: 4 steps of 500 ms at 16 img/s (32 images in 2 s), peak 1000 bytes.
    const meter = make({ imagesPerSecond: 16, stepMs: 500, steps: 4, peakRssBytes: 1000, host: 'old' });
    meter.step(step(0, 1, 0));
    m.now = 2000;
    meter.step(step(0, 1, 1));
    // 40 images in 4 s over 5 steps; the peak is the earlier one.
    expect(meter.figures()).toEqual({
      imagesPerSecond: 10,
      stepMs: 800,
      steps: 5,
      peakRssBytes: 1000,
      host: 'test host',
    });
  });

  it('describes the machine', () => {
    expect(hostDescription()).toMatch(/ × \d+ logical cores, Node\.js v\d+\./);
  });
});
