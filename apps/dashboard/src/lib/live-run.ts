import type { TrainHistoryPoint } from '@slca/artifacts';
import { bwt, emptyMatrix, forgetting, setRow, type AccuracyMatrix } from '@slca/metrics';

/** One training step as the charts plot it: x in epochs since the run began. */
export interface TrainPoint {
  x: number;
  loss: number;
  lr: number;
  backboneLr: number;
}

/** A live training step: a recorded step plus the trainer's estimate of the time left. */
export interface TrainEvent extends TrainHistoryPoint {
  etaSeconds: number;
}

/** Position of a step on the run's epoch axis: task t's epochs span [t·E, (t+1)·E). */
export function trainPoint(e: TrainHistoryPoint): TrainPoint {
  const steps = Math.max(1, e.steps);
  return {
    x: e.task * e.epochs + e.epoch + (e.step + 1) / steps,
    loss: e.loss,
    lr: e.lr,
    backboneLr: e.backboneLr,
  };
}

/** The accuracy matrix (T × T, nulls where undefined) from the rows evaluated so far. */
export function matrixFrom(tasks: number, rows: readonly (readonly number[])[]): AccuracyMatrix | undefined {
  if (rows.length === 0) return undefined;
  let matrix = emptyMatrix(Math.max(tasks, rows.length));
  rows.forEach((row, task) => {
    matrix = setRow(matrix, task, row);
  });
  return matrix;
}

/** Forgetting and BWT of the rows so far (0 with a single row), or undefined before any row. */
export function forgettingAndBwt(
  tasks: number,
  rows: readonly (readonly number[])[],
): { forgetting: number; bwt: number } | undefined {
  const matrix = matrixFrom(tasks, rows);
  return matrix && { forgetting: forgetting(matrix), bwt: bwt(matrix) };
}
