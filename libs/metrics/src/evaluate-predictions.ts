import { MetricsInputError } from './metrics-input-error';

export interface PredictionsToEvaluate {
  /** Predicted global class id of each test image (argmax over all seen classes). */
  readonly predictions: Int32Array;
  /** True global class id of each test image; only classes of tasks 0..task may appear. */
  readonly labels: Int32Array;
  /** `taskOfLabel[c]` = the task that introduces global class c. */
  readonly taskOfLabel: ArrayLike<number>;
  /** The task just trained (0-based); images of tasks 0..task are expected. */
  readonly task: number;
}

export interface TaskEvaluation {
  /** A_t: percentage of all given test images classified correctly (image-weighted, not the mean of `perTask`). */
  readonly accuracy: number;
  /** R[task][0..task]: accuracy (%) on the test images of each seen task's classes. */
  readonly perTask: number[];
  readonly correct: number;
  readonly total: number;
  /** Correctly classified images of each seen task (numerators of `perTask`). */
  readonly correctPerTask: number[];
  /** Test images of each seen task (denominators of `perTask`). */
  readonly totalPerTask: number[];
}

/**
 * Scores the predictions made after training `task` on the test images of every class seen so far.
 * A prediction counts as correct only when it equals the label, so a prediction of an unseen or
 * out-of-range class is simply wrong. Every seen task must contribute at least one image; otherwise its
 * accuracy, and so its row of R, would be undefined.
 */
export function evaluatePredictions({
  predictions,
  labels,
  taskOfLabel,
  task,
}: PredictionsToEvaluate): TaskEvaluation {
  const fn = 'evaluatePredictions';
  if (!(predictions instanceof Int32Array) || !(labels instanceof Int32Array)) {
    throw new MetricsInputError(`${fn}: predictions and labels must be Int32Arrays of global class ids`);
  }
  if (predictions.length !== labels.length) {
    throw new MetricsInputError(
      `${fn}: ${predictions.length} predictions for ${labels.length} labels; there must be one prediction per test image`,
    );
  }
  if (labels.length === 0) {
    throw new MetricsInputError(`${fn}: no test images; accuracy is undefined`);
  }
  if (!Number.isSafeInteger(task) || task < 0) {
    throw new MetricsInputError(`${fn}: task must be an integer ≥ 0, got ${task}`);
  }
  const correctPerTask = new Array<number>(task + 1).fill(0);
  const totalPerTask = new Array<number>(task + 1).fill(0);
  for (let k = 0; k < labels.length; k++) {
    const label = labels[k];
    if (label < 0 || label >= taskOfLabel.length) {
      throw new MetricsInputError(
        `${fn}: label ${label} of test image ${k} is not a known class (taskOfLabel covers classes 0..${taskOfLabel.length - 1})`,
      );
    }
    const labelTask = taskOfLabel[label];
    if (!Number.isSafeInteger(labelTask) || labelTask < 0) {
      throw new MetricsInputError(`${fn}: taskOfLabel[${label}] must be an integer ≥ 0, got ${labelTask}`);
    }
    if (labelTask > task) {
      throw new MetricsInputError(
        `${fn}: label ${label} of test image ${k} belongs to task ${labelTask}, but only tasks 0..${task} have been trained`,
      );
    }
    totalPerTask[labelTask] += 1;
    if (predictions[k] === label) correctPerTask[labelTask] += 1;
  }
  const unseen = totalPerTask.findIndex((n) => n === 0);
  if (unseen !== -1) {
    throw new MetricsInputError(
      `${fn}: no test images of task ${unseen}; every task 0..${task} needs test images to fill R[${task}]`,
    );
  }
  const correct = correctPerTask.reduce((a, b) => a + b, 0);
  const total = labels.length;
  return {
    accuracy: (100 * correct) / total,
    perTask: correctPerTask.map((c, j) => (100 * c) / totalPerTask[j]),
    correct,
    total,
    correctPerTask,
    totalPerTask,
  };
}
