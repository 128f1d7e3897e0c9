import { filledRows, type AccuracyMatrix } from './accuracy-matrix';
import { bwt, forgetting } from './forgetting';
import { MetricsInputError } from './metrics-input-error';

/**
 * Views of a class-incremental run beyond the accuracy matrix, computed from the predictions each task's
 * model made on the test images of every class seen so far. Classes are numbered in class-order space
 * (label k = the k-th class of the run's order), so task t's classes are a contiguous range.
 */

/** The predictions of one task's model: one predicted class per test image, aligned with the labels. */
export interface TaskPredictions {
  /** The task just trained when the model was evaluated (0-based). */
  readonly task: number;
  /** True class of each test image; only classes of tasks 0..task appear. */
  readonly labels: ArrayLike<number>;
  /** Predicted class of each test image (argmax over the classes seen so far). */
  readonly predictions: ArrayLike<number>;
}

/**
 * `counts[i][j]` = test images of class i predicted as class j, for classes 0..n−1 (rows: the true class,
 * columns: the predicted class). Plain arrays keep it JSON-safe.
 */
export type ConfusionMatrix = readonly (readonly number[])[];

/** The confusion matrix of predictions over classes 0..classes−1. */
export function confusionMatrix(
  labels: ArrayLike<number>,
  predictions: ArrayLike<number>,
  classes: number,
): number[][] {
  const fn = 'confusionMatrix';
  if (!Number.isSafeInteger(classes) || classes < 1) {
    throw new MetricsInputError(`${fn}: the number of classes must be an integer ≥ 1, got ${classes}`);
  }
  if (labels.length !== predictions.length) {
    throw new MetricsInputError(
      `${fn}: ${predictions.length} predictions for ${labels.length} labels; there must be one prediction per test image`,
    );
  }
  const counts = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let k = 0; k < labels.length; k++) {
    const label = labels[k];
    const predicted = predictions[k];
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new MetricsInputError(
        `${fn}: label ${label} of test image ${k} is not a class 0..${classes - 1}`,
      );
    }
    if (!Number.isInteger(predicted) || predicted < 0 || predicted >= classes) {
      throw new MetricsInputError(
        `${fn}: prediction ${predicted} of test image ${k} is not a class 0..${classes - 1}`,
      );
    }
    counts[label][predicted] += 1;
  }
  return counts;
}

/** Accuracy (%) of each class: its diagonal count over its row's sum; null for a class with no test image. */
export function perClassAccuracy(confusion: ConfusionMatrix): (number | null)[] {
  checkSquare(confusion, 'perClassAccuracy');
  return confusion.map((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total === 0 ? null : (100 * row[i]) / total;
  });
}

/** The first class of each task and one past its last: task t owns classes [starts[t], starts[t+1]). */
function taskStarts(classesPerTask: readonly number[], fn: string): number[] {
  if (!Array.isArray(classesPerTask) || classesPerTask.length === 0) {
    throw new MetricsInputError(`${fn}: classesPerTask must list the classes of at least one task`);
  }
  const starts = [0];
  classesPerTask.forEach((n, t) => {
    if (!Number.isSafeInteger(n) || n < 1) {
      throw new MetricsInputError(`${fn}: classesPerTask[${t}] must be an integer ≥ 1, got ${n}`);
    }
    starts.push(starts[t] + n);
  });
  return starts;
}

/** The confusion matrix of one task's model over the classes it has seen (tasks 0..task). */
export function taskConfusion(predictions: TaskPredictions, classesPerTask: readonly number[]): number[][] {
  const starts = taskStarts(classesPerTask, 'taskConfusion');
  checkTask(predictions.task, classesPerTask.length, 'taskConfusion');
  return confusionMatrix(predictions.labels, predictions.predictions, starts[predictions.task + 1]);
}

/**
 * A class confusion matrix summed over tasks: `result[i][j]` = test images of task i's classes predicted
 * as one of task j's classes. Mass right of the diagonal is old classes taken for newer ones (the recency
 * bias of class-incremental learning).
 */
export function confusionByTask(confusion: ConfusionMatrix, classesPerTask: readonly number[]): number[][] {
  const fn = 'confusionByTask';
  checkSquare(confusion, fn);
  const starts = taskStarts(classesPerTask, fn);
  const seenTasks = starts.findIndex((s) => s === confusion.length);
  if (seenTasks < 1) {
    throw new MetricsInputError(
      `${fn}: a ${confusion.length}-class matrix does not end at a task boundary (tasks end at ${starts.slice(1).join(', ')})`,
    );
  }
  const taskOf = (c: number) => starts.findIndex((s) => s > c) - 1;
  const result = Array.from({ length: seenTasks }, () => new Array<number>(seenTasks).fill(0));
  confusion.forEach((row, i) => row.forEach((n, j) => (result[taskOf(i)][taskOf(j)] += n)));
  return result;
}

/**
 * Per-class accuracy after each task: `rows[k]` is the accuracy (%) of every class after task
 * `predictions[k].task`, `null` for classes not seen yet (or without test images). One row per given
 * evaluation, in the order given.
 */
export function perClassAccuracyByTask(
  predictions: readonly TaskPredictions[],
  classesPerTask: readonly number[],
): (number | null)[][] {
  const starts = taskStarts(classesPerTask, 'perClassAccuracyByTask');
  const classes = starts[starts.length - 1];
  return predictions.map((p) => {
    const seen = perClassAccuracy(taskConfusion(p, classesPerTask));
    return Array.from({ length: classes }, (_, c) => (c < seen.length ? seen[c] : null));
  });
}

/** Accuracy after one task on the classes learned before it (old) and on its own classes (new). */
export interface OldNewRow {
  readonly task: number;
  /** Accuracy (%) on the test images of tasks 0..task−1; null after the first task (no old class yet). */
  readonly old: number | null;
  /** Accuracy (%) on the test images of task `task` (R[task][task]). */
  readonly new: number;
  /** Accuracy (%) on all of them: A_task. */
  readonly all: number;
  readonly oldImages: number;
  readonly newImages: number;
}

/**
 * Old- and new-class accuracy after each evaluated task, from the accuracy matrix and the number of test
 * images of each task: old = Σ_{j<t} R[t][j]·n_j / Σ_{j<t} n_j, image-weighted like A_t (R[t][j] is
 * 100·correct_j / n_j, so this is exactly the share of old-class images classified correctly). Works for
 * every run, with or without stored predictions.
 */
export function oldNewAccuracy(matrix: AccuracyMatrix, testImagesPerTask: readonly number[]): OldNewRow[] {
  const fn = 'oldNewAccuracy';
  const filled = filledRows(matrix);
  if (!Array.isArray(testImagesPerTask) || testImagesPerTask.length !== matrix.length) {
    throw new MetricsInputError(
      `${fn}: testImagesPerTask must give the test images of each of the ${matrix.length} tasks, got ${Array.isArray(testImagesPerTask) ? testImagesPerTask.length : typeof testImagesPerTask}`,
    );
  }
  testImagesPerTask.forEach((n, j) => {
    if (!Number.isSafeInteger(n) || n < 1) {
      throw new MetricsInputError(`${fn}: testImagesPerTask[${j}] must be an integer ≥ 1, got ${n}`);
    }
  });
  const rows: OldNewRow[] = [];
  for (let t = 0; t < filled; t++) {
    const row = matrix[t] as number[];
    let oldCorrect = 0;
    let oldImages = 0;
    for (let j = 0; j < t; j++) {
      oldCorrect += (row[j] * testImagesPerTask[j]) / 100;
      oldImages += testImagesPerTask[j];
    }
    const newImages = testImagesPerTask[t];
    const newCorrect = (row[t] * newImages) / 100;
    rows.push({
      task: t,
      old: t === 0 ? null : (100 * oldCorrect) / oldImages,
      new: row[t],
      all: (100 * (oldCorrect + newCorrect)) / (oldImages + newImages),
      oldImages,
      newImages,
    });
  }
  return rows;
}

/** Old- and new-class accuracy of one task's model, counted from its predictions. */
export function oldNewFromPredictions(
  predictions: TaskPredictions,
  classesPerTask: readonly number[],
): OldNewRow {
  const fn = 'oldNewFromPredictions';
  const starts = taskStarts(classesPerTask, fn);
  const { task, labels } = predictions;
  checkTask(task, classesPerTask.length, fn);
  if (labels.length !== predictions.predictions.length) {
    throw new MetricsInputError(
      `${fn}: ${predictions.predictions.length} predictions for ${labels.length} labels; there must be one prediction per test image`,
    );
  }
  const first = starts[task];
  const end = starts[task + 1];
  let oldImages = 0;
  let oldCorrect = 0;
  let newImages = 0;
  let newCorrect = 0;
  for (let k = 0; k < labels.length; k++) {
    const label = labels[k];
    if (!Number.isInteger(label) || label < 0 || label >= end) {
      throw new MetricsInputError(
        `${fn}: label ${label} of test image ${k} is not a class of tasks 0..${task} (0..${end - 1})`,
      );
    }
    const correct = predictions.predictions[k] === label ? 1 : 0;
    if (label < first) {
      oldImages += 1;
      oldCorrect += correct;
    } else {
      newImages += 1;
      newCorrect += correct;
    }
  }
  if (newImages === 0) {
    throw new MetricsInputError(`${fn}: no test images of task ${task}'s classes`);
  }
  if (task > 0 && oldImages === 0) {
    throw new MetricsInputError(`${fn}: no test images of the classes of tasks 0..${task - 1}`);
  }
  return {
    task,
    old: task === 0 ? null : (100 * oldCorrect) / oldImages,
    new: (100 * newCorrect) / newImages,
    all: (100 * (oldCorrect + newCorrect)) / (oldImages + newImages),
    oldImages,
    newImages,
  };
}

/** How a run traded keeping old classes (stability) against learning new ones (plasticity). */
export interface StabilityPlasticity {
  /** Tasks evaluated so far. */
  readonly tasks: number;
  /**
   * Plasticity: mean over evaluated tasks t of R[t][t], the accuracy on each task's classes right after
   * learning them (the "learning accuracy").
   */
  readonly plasticity: number;
  /**
   * Stability: mean over evaluated tasks t ≥ 1 of the old-class accuracy after task t (image-weighted
   * over tasks 0..t−1); null until a second task is evaluated.
   */
  readonly stability: number | null;
  /** Harmonic mean 2·S·P / (S + P) of stability and plasticity (0 when both are 0); null without S. */
  readonly harmonic: number | null;
  /** Stability − plasticity (pp): negative when new classes do better than old ones. Null without S. */
  readonly gap: number | null;
  /** Old- and new-class accuracy after the last evaluated task. */
  readonly finalOld: number | null;
  readonly finalNew: number;
  /** Average forgetting and BWT of the same matrix (pp), as `forgetting` and `bwt` give them. */
  readonly forgetting: number;
  readonly bwt: number;
}

export function stabilityPlasticity(
  matrix: AccuracyMatrix,
  testImagesPerTask: readonly number[],
): StabilityPlasticity {
  const rows = oldNewAccuracy(matrix, testImagesPerTask);
  if (rows.length === 0) {
    throw new MetricsInputError(
      'stabilityPlasticity: the accuracy matrix has no filled row; evaluate at least one task first',
    );
  }
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const plasticity = mean(rows.map((r) => r.new));
  const olds = rows.slice(1).map((r) => r.old as number);
  const stability = olds.length === 0 ? null : mean(olds);
  const last = rows[rows.length - 1];
  return {
    tasks: rows.length,
    plasticity,
    stability,
    harmonic:
      stability === null
        ? null
        : stability + plasticity === 0
          ? 0
          : (2 * stability * plasticity) / (stability + plasticity),
    gap: stability === null ? null : stability - plasticity,
    finalOld: last.old,
    finalNew: last.new,
    forgetting: forgetting(matrix),
    bwt: bwt(matrix),
  };
}

/**
 * One plain-language sentence for a {@link stabilityPlasticity} summary, e.g. "Old classes keep 70.00 % on
 * average once new tasks arrive (stability) and new classes reach 85.00 % right after they are learned
 * (plasticity): the model favours new classes by 15.00 pp."
 */
export function describeStabilityPlasticity(summary: StabilityPlasticity, digits = 2): string {
  const p = `new classes reach ${summary.plasticity.toFixed(digits)} % right after they are learned (plasticity)`;
  if (summary.stability === null || summary.gap === null) {
    return `After one task there are no old classes yet: ${p}.`;
  }
  const s = `Old classes keep ${summary.stability.toFixed(digits)} % on average once new tasks arrive (stability)`;
  const gap = Math.abs(summary.gap).toFixed(digits);
  const verdict =
    Number(gap) === 0
      ? 'the model is as good on old classes as on new ones'
      : summary.gap < 0
        ? `the model favours new classes by ${gap} pp`
        : `the model favours old classes by ${gap} pp`;
  return `${s} and ${p}: ${verdict}.`;
}

function checkSquare(confusion: ConfusionMatrix, fn: string): void {
  if (!Array.isArray(confusion) || confusion.length === 0) {
    throw new MetricsInputError(`${fn}: expected a non-empty square matrix of counts`);
  }
  confusion.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== confusion.length) {
      throw new MetricsInputError(
        `${fn}: row ${i} must have ${confusion.length} counts (a square matrix), got ${Array.isArray(row) ? row.length : typeof row}`,
      );
    }
    row.forEach((n, j) => {
      if (!Number.isSafeInteger(n) || n < 0) {
        throw new MetricsInputError(`${fn}: count [${i}][${j}] must be an integer ≥ 0, got ${n}`);
      }
    });
  });
}

function checkTask(task: number, tasks: number, fn: string): void {
  if (!Number.isSafeInteger(task) || task < 0 || task >= tasks) {
    throw new MetricsInputError(`${fn}: task must be an integer in [0, ${tasks - 1}], got ${task}`);
  }
}
