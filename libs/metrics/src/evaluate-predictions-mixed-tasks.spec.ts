import { describe, expect, it } from 'vitest';
import { evaluatePredictions, MetricsInputError } from './index';

// Three tasks of two classes each: task 0 = {0, 1}, task 1 = {2, 3}, task 2 = {4, 5}.
const taskOfLabel = [0, 0, 1, 1, 2, 2];

describe('evaluatePredictions over images of several tasks', () => {
  // Images of the three tasks interleaved; 4, 2 and 4 images per task.
  //   image:  0  1  2  3  4  5  6  7  8  9
  //   label:  0  2  4  0  5  1  3  5  1  4
  //   pred:   0  2  4  0  5  1  9  5  4  4     (6: a class id no task has; 8: a class of task 2)
  //   ok:     ✓  ✓  ✓  ✓  ✓  ✓  ✗  ✓  ✗  ✓
  const labels = Int32Array.from([0, 2, 4, 0, 5, 1, 3, 5, 1, 4]);
  const predictions = Int32Array.from([0, 2, 4, 0, 5, 1, 9, 5, 4, 4]);

  it('gives the image-weighted A_t and the row R[t][0..t]', () => {
    const result = evaluatePredictions({ predictions, labels, taskOfLabel, task: 2 });
    // task 0: images 0,3,5,8 → 3/4 = 75%; task 1: images 1,6 → 1/2 = 50%; task 2: images 2,4,7,9 → 4/4 = 100%
    expect(result.perTask).toEqual([75, 50, 100]);
    expect(result.correctPerTask).toEqual([3, 1, 4]);
    expect(result.totalPerTask).toEqual([4, 2, 4]);
    // A_2 = 100 · (3 + 1 + 4) / (4 + 2 + 4) = 80, not the row mean (75 + 50 + 100) / 3 = 75
    expect(result.correct).toBe(8);
    expect(result.total).toBe(10);
    expect(result.accuracy).toBe(80);
  });

  it('handles the first task alone', () => {
    const result = evaluatePredictions({
      predictions: Int32Array.from([1, 1, 0]),
      labels: Int32Array.from([0, 1, 0]),
      taskOfLabel,
      task: 0,
    });
    // 2 of 3 correct → 200/3 = 66.666…%
    expect(result.perTask).toHaveLength(1);
    expect(result.accuracy).toBeCloseTo(66.66666666666667, 12);
    expect(result.perTask[0]).toBeCloseTo(66.66666666666667, 12);
  });

  it('accepts the map as an Int32Array too', () => {
    const result = evaluatePredictions({
      predictions,
      labels,
      taskOfLabel: Int32Array.from(taskOfLabel),
      task: 2,
    });
    expect(result.accuracy).toBe(80);
  });
});

describe('evaluatePredictions rejects inputs that cannot fill a row of R', () => {
  const ok = { predictions: Int32Array.from([0, 2]), labels: Int32Array.from([0, 2]), taskOfLabel, task: 1 };
  const invalid: [string, Parameters<typeof evaluatePredictions>[0], RegExp][] = [
    [
      'a length mismatch',
      { ...ok, predictions: Int32Array.from([0]) },
      /1 predictions for 2 labels; there must be one prediction per test image/,
    ],
    ['no images', { ...ok, predictions: new Int32Array(0), labels: new Int32Array(0) }, /no test images/],
    [
      'a label of a task not trained yet',
      { ...ok, labels: Int32Array.from([0, 4]) },
      /label 4 of test image 1 belongs to task 2, but only tasks 0\.\.1 have been trained/,
    ],
    [
      'a label no task has',
      { ...ok, labels: Int32Array.from([6, 2]) },
      /label 6 of test image 0 is not a known class \(taskOfLabel covers classes 0\.\.5\)/,
    ],
    [
      'a negative label',
      { ...ok, labels: Int32Array.from([0, -1]) },
      /label -1 of test image 1 is not a known class/,
    ],
    [
      'a seen task without test images',
      { ...ok, labels: Int32Array.from([0, 4]), predictions: Int32Array.from([0, 4]), task: 2 },
      /no test images of task 1; every task 0\.\.2 needs test images/,
    ],
    ['a fractional task', { ...ok, task: 1.5 }, /task must be an integer ≥ 0, got 1\.5/],
    [
      'a broken task map',
      { ...ok, taskOfLabel: [0, 0, -1, 1] },
      /taskOfLabel\[2\] must be an integer ≥ 0, got -1/,
    ],
    [
      'plain arrays instead of Int32Array',
      { ...ok, predictions: [0, 2] as unknown as Int32Array },
      /predictions and labels must be Int32Arrays/,
    ],
  ];
  it.each(invalid)('rejects %s', (_, input, message) => {
    expect(() => evaluatePredictions(input)).toThrow(MetricsInputError);
    expect(() => evaluatePredictions(input)).toThrow(message);
  });
});
