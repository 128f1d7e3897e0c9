import type { TrainHistoryPoint } from '@slca/artifacts';
import { describe, expect, it } from 'vitest';
import { accuracyBandSeries, thinSteps, trainCurveViews } from './train-curves';

const step = (task: number, s: number, loss: number, atMs?: number): TrainHistoryPoint => ({
  task,
  tasks: 2,
  epoch: 0,
  epochs: 1,
  step: s,
  steps: 2,
  loss,
  lr: 0.01,
  backboneLr: 0.0001,
  ...(atMs === undefined ? {} : { atMs }),
});

describe('training curves', () => {
  it('plots one run against epochs with its task boundaries, and offers the other axes it has', () => {
    const steps = [step(0, 0, 2, 0), step(0, 1, 1.5, 500), step(1, 0, 1.2, 4000), step(1, 1, 1, 4500)];
    const v = trainCurveViews([{ name: 'loss', steps, y: (p) => p.loss }]);
    expect(v.series[0].points).toEqual([
      { x: 0.5, y: 2 },
      { x: 1, y: 1.5 },
      { x: 1.5, y: 1.2 },
      { x: 2, y: 1 },
    ]);
    expect(v.markers).toEqual([
      { x: 0, label: 'task 1' },
      { x: 1, label: 'task 2' },
    ]);
    expect(v.xLabel).toBe('epochs since the run began (dashed: task boundaries)');
    expect(v.views.map((w) => w.id)).toEqual(['step', 'task', 'time']);
    const time = v.views.find((w) => w.id === 'time');
    expect(time?.series[0].points.map((p) => p.x)).toEqual([0, 0.5, 4, 4.5]);
    expect(time?.markers).toEqual([
      { x: 0, label: 'task 1' },
      { x: 4, label: 'task 2' },
    ]);
  });

  it('overlays runs without boundaries, on the axes every run has', () => {
    const v = trainCurveViews([
      { name: 'a', steps: [step(0, 0, 2, 0)], y: (p) => p.loss },
      { name: 'b', steps: [step(0, 0, 3)], y: (p) => p.loss },
    ]);
    expect(v.markers).toEqual([]);
    expect(v.views.map((w) => w.id)).toEqual(['step', 'task']);
    expect(v.series.map((s) => s.name)).toEqual(['a', 'b']);
  });

  it('thins a long history to every k-th step and the last', () => {
    expect(thinSteps([0, 1, 2, 3, 4, 5, 6], 3)).toEqual([0, 3, 6]);
    expect(thinSteps([0, 1, 2, 3, 4, 5, 6, 7], 3)).toEqual([0, 3, 6, 7]);
    expect(thinSteps([0, 1], 3)).toEqual([0, 1]);
  });

  it('bands A_t over seeds; one seed is its value with n = 1 and no band', () => {
    const [three, one] = accuracyBandSeries([
      { label: 'SLCA', runs: [{ accuracies: [90, 80] }, { accuracies: [92, 84] }, { accuracies: [94, 82] }] },
      { label: 'SL', runs: [{ accuracies: [18.48] }] },
    ]);
    // Task 1: mean 92, std √(8/3); task 2: mean 82, std √(8/3).
    const s = Math.sqrt(8 / 3);
    expect(three.name).toBe('SLCA (3 seeds)');
    expect(three.points).toEqual([
      { x: 1, y: 92 },
      { x: 2, y: 82 },
    ]);
    three.band?.forEach((b, t) => {
      expect(b.lo).toBeCloseTo([92, 82][t] - s, 12);
      expect(b.hi).toBeCloseTo([92, 82][t] + s, 12);
    });
    expect(three.labels).toEqual([
      { x: 1, text: '92.00 ± 1.63 (n = 3)' },
      { x: 2, text: '82.00 ± 1.63 (n = 3)' },
    ]);
    expect(one).toEqual({
      name: 'SL (1 seed)',
      dots: true,
      points: [{ x: 1, y: 18.48 }],
      labels: [{ x: 1, text: '18.48 (n = 1)' }],
    });
  });
});
