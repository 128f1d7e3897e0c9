import { describe, expect, it } from 'vitest';
import { classNames, classViews, confusionOf, runTable, taskConfusionOf } from './run-views';

// Two tasks of two classes, five test images each; the predictions counted by hand in
// libs/metrics/src/class-views.spec.ts: after task 1, old classes 3/5, new 4/5.
const metrics = {
  accuracyMatrix: [{ values: [60] }, { values: [60, 80] }],
  accuracies: [60, 70],
  classesPerTask: [2, 2],
  testImagesPerTask: [5, 5],
  predictions: [
    { task: 0, labels: [0, 0, 1, 1, 1], predicted: [0, 1, 1, 1, 0] },
    { task: 1, labels: [0, 0, 1, 1, 1, 2, 2, 3, 3, 3], predicted: [0, 2, 1, 3, 1, 2, 2, 3, 2, 3] },
  ],
};

describe('a run’s continual-learning views', () => {
  it('computes old/new, the summary and per-class accuracy from what the evaluator serves', () => {
    const views = classViews(metrics, 2);
    expect(views.tasks).toBe(2);
    expect(views.oldNew.map((r) => [r.old, r.new, r.all])).toEqual([
      [null, 60, 60],
      [60, 80, 70],
    ]);
    expect(views.summary?.plasticity).toBe(70);
    expect(views.summary?.stability).toBe(60);
    expect(views.predictedTasks).toEqual([0, 1]);
    expect(views.perClass?.[1].map((v) => (v === null ? null : Math.round(v * 100) / 100))).toEqual([
      50, 66.67, 100, 66.67,
    ]);
    expect(confusionOf(views, 1)).toEqual([
      [1, 0, 1, 0],
      [0, 2, 0, 1],
      [0, 0, 2, 0],
      [0, 0, 1, 2],
    ]);
    expect(taskConfusionOf(views, 1)).toEqual([
      [3, 2],
      [0, 5],
    ]);
  });

  it('shows old/new for a run without stored predictions, from its split’s test counts', () => {
    const old = { accuracyMatrix: metrics.accuracyMatrix, accuracies: [60, 70] };
    const split = {
      classOrder: [3, 1, 0, 2],
      tasks: [
        { classes: [3, 1], testCount: 5 },
        { classes: [0, 2], testCount: 5 },
      ],
    };
    const views = classViews(old, 2, split);
    expect(views.oldNew[1]).toMatchObject({ old: 60, new: 80, all: 70 });
    expect(views.perClass).toBeUndefined();
    expect(runTable('per-class', views)).toBe('this run has no stored predictions');
    expect(runTable('confusion', views)).toBe('this run has no stored predictions');
    expect(classViews(old, 2).oldNew).toEqual([]);
  });

  it('names classes by the dataset through the class order', () => {
    expect(classNames({ classOrder: [2, 0] }, [{ id: 0, name: 'cat' }])).toEqual(['class 2', 'cat']);
    expect(classNames(undefined)).toBeUndefined();
  });

  it('gives each table by name', () => {
    const views = classViews(metrics, 2);
    const confusion = runTable('confusion', views, { task: 0, names: ['a', 'b', 'c', 'd'] });
    expect(confusion).toEqual({
      columns: [
        { title: 'true \\ predicted', align: 'left' },
        { title: 'a', align: 'right', digits: 0 },
        { title: 'b', align: 'right', digits: 0 },
      ],
      rows: [
        ['a', 1, 1],
        ['b', 1, 2],
      ],
    });
    const summary = runTable('summary', views, { accuracies: metrics.accuracies });
    expect(typeof summary === 'string' ? summary : summary.rows.slice(0, 2)).toEqual([
      ['Last-Acc (%)', 70],
      ['Inc-Acc (%)', 65],
    ]);
    expect(runTable('confusion', views, { task: 5 })).toBe('no stored predictions for task 6');
  });
});
