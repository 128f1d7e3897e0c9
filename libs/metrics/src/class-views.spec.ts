import { describe, expect, it } from 'vitest';
import {
  confusionByTask,
  confusionMatrix,
  describeStabilityPlasticity,
  evaluatePredictions,
  MetricsInputError,
  oldNewAccuracy,
  oldNewFromPredictions,
  perClassAccuracy,
  perClassAccuracyByTask,
  stabilityPlasticity,
  taskConfusion,
  type AccuracyMatrix,
  type TaskPredictions,
} from './index';

// Two tasks of two classes each (classes 0,1 | 2,3), counted by hand below.
const SIZES = [2, 2];
const AFTER_0: TaskPredictions = {
  task: 0,
  labels: Int32Array.from([0, 0, 1, 1, 1]),
  predictions: Int32Array.from([0, 1, 1, 1, 0]),
};
const AFTER_1: TaskPredictions = {
  task: 1,
  labels: Int32Array.from([0, 0, 1, 1, 1, 2, 2, 3, 3, 3]),
  predictions: Int32Array.from([0, 2, 1, 3, 1, 2, 2, 3, 2, 3]),
};

describe('confusion matrix and per-class accuracy', () => {
  it('counts each (true class, predicted class) pair', () => {
    // class 0 → predicted 0, 1; class 1 → 1, 1, 0
    expect(taskConfusion(AFTER_0, SIZES)).toEqual([
      [1, 1],
      [1, 2],
    ]);
    // class 0 → 0, 2; class 1 → 1, 3, 1; class 2 → 2, 2; class 3 → 3, 2, 3
    expect(taskConfusion(AFTER_1, SIZES)).toEqual([
      [1, 0, 1, 0],
      [0, 2, 0, 1],
      [0, 0, 2, 0],
      [0, 0, 1, 2],
    ]);
  });

  it('gives each class its diagonal over its row', () => {
    const perClass = perClassAccuracy(taskConfusion(AFTER_1, SIZES));
    // 1/2, 2/3, 2/2, 2/3
    expect(perClass[0]).toBe(50);
    expect(perClass[1]).toBeCloseTo(200 / 3, 12);
    expect(perClass[2]).toBe(100);
    expect(perClass[3]).toBeCloseTo(200 / 3, 12);
    expect(
      perClassAccuracy([
        [0, 0],
        [1, 3],
      ]),
    ).toEqual([null, 75]);
  });

  it('lists every class after every task, null before a class is seen', () => {
    const table = perClassAccuracyByTask([AFTER_0, AFTER_1], SIZES);
    expect(table).toHaveLength(2);
    expect(table[0][0]).toBe(50);
    expect(table[0][1]).toBeCloseTo(200 / 3, 12);
    expect(table[0].slice(2)).toEqual([null, null]);
    expect(table[1].map((v) => (v === null ? null : Number(v.toFixed(4))))).toEqual([
      50, 66.6667, 100, 66.6667,
    ]);
  });

  it('sums the classes of each task: old images taken for new classes lie right of the diagonal', () => {
    // task 0's images: class 0 → [1,0 | 1,0], class 1 → [0,2 | 0,1]: 3 stay in task 0, 2 go to task 1
    expect(confusionByTask(taskConfusion(AFTER_1, SIZES), SIZES)).toEqual([
      [3, 2],
      [0, 5],
    ]);
    expect(confusionByTask(taskConfusion(AFTER_0, SIZES), SIZES)).toEqual([[5]]);
  });

  it('refuses predictions it cannot place', () => {
    expect(() => confusionMatrix([0, 1], [0], 2)).toThrow(/1 predictions for 2 labels/);
    expect(() => confusionMatrix([0, 2], [0, 1], 2)).toThrow(/label 2 of test image 1/);
    expect(() => confusionMatrix([0, 1], [0, -1], 2)).toThrow(MetricsInputError);
    expect(() => taskConfusion({ ...AFTER_1, task: 2 }, SIZES)).toThrow(
      /task must be an integer in \[0, 1\]/,
    );
    expect(() =>
      confusionByTask(
        [
          [1, 0, 0],
          [0, 1, 0],
          [0, 0, 1],
        ],
        SIZES,
      ),
    ).toThrow(/task boundary/);
  });
});

describe('old- versus new-class accuracy', () => {
  it('counts old and new classes from the predictions', () => {
    // old (classes 0, 1): 1 + 2 of 5 correct; new (2, 3): 2 + 2 of 5
    expect(oldNewFromPredictions(AFTER_1, SIZES)).toEqual({
      task: 1,
      old: 60,
      new: 80,
      all: 70,
      oldImages: 5,
      newImages: 5,
    });
    expect(oldNewFromPredictions(AFTER_0, SIZES)).toEqual({
      task: 0,
      old: null,
      new: 60,
      all: 60,
      oldImages: 0,
      newImages: 5,
    });
  });

  it('gets the same from the accuracy matrix and the test images per task', () => {
    const taskOfLabel = [0, 0, 1, 1];
    const rows = [AFTER_0, AFTER_1].map(
      (p) =>
        evaluatePredictions({
          predictions: Int32Array.from(p.predictions),
          labels: Int32Array.from(p.labels),
          taskOfLabel,
          task: p.task,
        }).perTask,
    );
    const R: AccuracyMatrix = [
      [rows[0][0], null],
      [rows[1][0], rows[1][1]],
    ];
    expect(R).toEqual([
      [60, null],
      [60, 80],
    ]);
    const fromMatrix = oldNewAccuracy(R, [5, 5]);
    expect(fromMatrix).toEqual([
      oldNewFromPredictions(AFTER_0, SIZES),
      oldNewFromPredictions(AFTER_1, SIZES),
    ]);
  });

  it('weights old tasks by their test images and stops at the last evaluated row', () => {
    const R: AccuracyMatrix = [
      [90, null, null],
      [80, 70, null],
      [null, null, null],
    ];
    const rows = oldNewAccuracy(R, [10, 20, 30]);
    expect(rows).toHaveLength(2);
    // after task 1: old = task 0 alone = 80; all = (8 + 14) / 30 = 73.33…
    expect(rows[1].old).toBe(80);
    expect(rows[1].new).toBe(70);
    expect(rows[1].all).toBeCloseTo(220 / 3, 12);
    expect(() => oldNewAccuracy(R, [10, 20])).toThrow(/each of the 3 tasks/);
    expect(() => oldNewAccuracy(R, [10, 0, 30])).toThrow(/testImagesPerTask\[1\]/);
  });
});

describe('stability and plasticity', () => {
  // Three tasks with 10, 20 and 30 test images.
  const R: AccuracyMatrix = [
    [90, null, null],
    [80, 70, null],
    [60, 50, 46],
  ];
  const summary = stabilityPlasticity(R, [10, 20, 30]);

  it('averages the diagonal (plasticity) and the old-class accuracy after each later task (stability)', () => {
    // plasticity = (90 + 70 + 46) / 3 = 68.67
    expect(summary.plasticity).toBeCloseTo(206 / 3, 12);
    // old after task 1: 80; after task 2: (60·10 + 50·20) / 30 = 53.33; stability = (80 + 53.33) / 2
    expect(summary.stability).toBeCloseTo((80 + 160 / 3) / 2, 12);
    // 2·S·P / (S + P) with S = 200/3, P = 206/3: 2·200·206 / (3·406) = 67.6519
    expect(summary.harmonic).toBeCloseTo(82400 / 1218, 10);
    expect(summary.gap).toBeCloseTo(-2, 12);
    expect(summary.finalOld).toBeCloseTo(160 / 3, 12);
    expect(summary.finalNew).toBe(46);
    // forgetting: (max(90, 80) − 60 + 70 − 50) / 2 = 25; BWT: (60 − 90 + 50 − 70) / 2 = −25
    expect(summary.forgetting).toBe(25);
    expect(summary.bwt).toBe(-25);
    expect(summary.tasks).toBe(3);
  });

  it('says which side the run leans to', () => {
    expect(describeStabilityPlasticity(summary)).toBe(
      'Old classes keep 66.67 % on average once new tasks arrive (stability) and new classes reach 68.67 % right after they are learned (plasticity): the model favours new classes by 2.00 pp.',
    );
    const one = stabilityPlasticity(
      [
        [75, null],
        [null, null],
      ],
      [4, 4],
    );
    expect(one.stability).toBeNull();
    expect(one.harmonic).toBeNull();
    expect(describeStabilityPlasticity(one)).toBe(
      'After one task there are no old classes yet: new classes reach 75.00 % right after they are learned (plasticity).',
    );
    // S = 90 (old after task 1), P = (50 + 40) / 2 = 45
    const keeps = stabilityPlasticity(
      [
        [50, null],
        [90, 40],
      ],
      [4, 4],
    );
    expect(describeStabilityPlasticity(keeps, 1)).toMatch(/favours old classes by 45\.0 pp\.$/);
  });

  it('needs an evaluated task', () => {
    expect(() => stabilityPlasticity([[null]], [3])).toThrow(/no filled row/);
  });
});
