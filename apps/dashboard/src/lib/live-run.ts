import type { TrainHistoryPoint } from '@slca/artifacts';
import { bwt, emptyMatrix, forgetting, setRow, type AccuracyMatrix } from '@slca/metrics';

/** A live training step: a recorded step plus the trainer's estimate of the time left. */
export interface TrainEvent extends TrainHistoryPoint {
  etaSeconds: number;
}

/** A live step as the trainer records it, stamped with the time its event was sent. */
export function historyPoint(e: TrainHistoryPoint, atMs: number): TrainHistoryPoint {
  const { task, tasks, epoch, epochs, step, steps, loss, lr, backboneLr, images, rssBytes } = e;
  return {
    task,
    tasks,
    epoch,
    epochs,
    step,
    steps,
    loss,
    lr,
    backboneLr,
    atMs,
    ...(images ? { images } : {}),
    ...(rssBytes ? { rssBytes } : {}),
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
