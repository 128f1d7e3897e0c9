import type { TrainHistoryPoint } from '@slca/artifacts';
import { describe, expect, it } from 'vitest';
import { availableAxes, stepThroughput, taskStarts, trainAxes } from './train-axes';

const step = (
  task: number,
  epoch: number,
  s: number,
  steps: number,
  extra: Partial<TrainHistoryPoint> = {},
): TrainHistoryPoint => ({
  task,
  tasks: 2,
  epoch,
  epochs: 2,
  step: s,
  steps,
  loss: 1,
  lr: 0.01,
  backboneLr: 0.0001,
  ...extra,
});

// Task 1: 3 steps per epoch; task 2: 2 steps per epoch; 2 epochs each.
const history = [
  step(0, 0, 0, 3, { atMs: 1000, images: 4 }),
  step(0, 0, 1, 3, { atMs: 1500, images: 4 }),
  step(0, 0, 2, 3, { atMs: 2000, images: 2 }),
  step(0, 1, 0, 3, { atMs: 3000, images: 4 }),
  step(1, 0, 0, 2, { atMs: 10_000, images: 4 }),
];

describe('training curve axes', () => {
  it('places each step on the epoch, step, task and time axes (hand-computed)', () => {
    const axes = trainAxes(history);
    const expected = [
      { epoch: 1 / 3, step: 1, task: 1 / 6, time: 0 },
      { epoch: 2 / 3, step: 2, task: 1 / 3, time: 0.5 },
      { epoch: 1, step: 3, task: 0.5, time: 1 },
      { epoch: 4 / 3, step: 4, task: 2 / 3, time: 2 },
      // Task 2 starts after task 1's 2 epochs × 3 steps: step 6 + 1.
      { epoch: 2.5, step: 7, task: 1.25, time: 9 },
    ];
    axes.forEach((a, i) => {
      expect(a.epoch).toBeCloseTo(expected[i].epoch, 12);
      expect(a.step).toBe(expected[i].step);
      expect(a.task).toBeCloseTo(expected[i].task, 12);
      expect(a.time).toBeCloseTo(expected[i].time, 12);
    });
    expect(availableAxes(history)).toEqual(['epoch', 'step', 'task', 'time']);
  });

  it('counts steps of tasks it has no point of with the next task’s steps; no clock, no time axis', () => {
    const [only] = trainAxes([step(2, 0, 3, 5, {})]);
    // Tasks 1 and 2 counted as 2 epochs × 5 steps each: 20, then step 3 + 1 of the first epoch.
    expect(only.step).toBe(24);
    expect(only.time).toBeUndefined();
    expect(availableAxes([step(0, 0, 0, 3)])).toEqual(['epoch', 'step', 'task']);
  });

  it('gives images per second between consecutive steps only', () => {
    // 4 images in 0.5 s; 2 in 0.5 s; across the epoch boundary 4 in 1 s; a new task's first step: none.
    expect(stepThroughput(history)).toEqual([null, 8, 4, 4, null]);
    expect(
      stepThroughput([step(0, 0, 0, 3, { atMs: 0 }), step(0, 0, 2, 3, { atMs: 10, images: 4 })]),
    ).toEqual([null, null]);
  });

  it('puts task boundaries where each task’s training begins', () => {
    const axes = trainAxes(history);
    expect(taskStarts(history, axes, 'epoch')).toEqual([
      { task: 0, x: 0 },
      { task: 1, x: 2 },
    ]);
    expect(taskStarts(history, axes, 'task')).toEqual([
      { task: 0, x: 0 },
      { task: 1, x: 1 },
    ]);
    // Task 2 begins after task 1's 6 steps; on the clock, at its first step (9 s after the first).
    expect(taskStarts(history, axes, 'step')).toEqual([
      { task: 0, x: 0 },
      { task: 1, x: 6 },
    ]);
    expect(taskStarts(history, axes, 'time')).toEqual([
      { task: 0, x: 0 },
      { task: 1, x: 9 },
    ]);
  });
});
