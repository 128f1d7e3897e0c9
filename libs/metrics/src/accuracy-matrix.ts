import { MetricsInputError } from './metrics-input-error';

/**
 * One row of the accuracy matrix: `row[j]` is the top-1 accuracy (%) on task j's test images,
 * `null` where it is not defined (j after the row's task) or not measured yet (a run in progress).
 */
export type AccuracyRow = readonly (number | null)[];

/**
 * The accuracy matrix R of a run with T tasks: T rows of T cells. `R[i][j]` is the top-1 accuracy (%)
 * on the test images of task j's classes after training task i, defined for j ≤ i and `null` for j > i.
 * A row whose task has not been evaluated yet is all `null`; the evaluated rows always form a prefix
 * 0..F−1, so a run in progress is a matrix with F < T filled rows. Plain arrays and `null` keep it JSON-safe.
 */
export type AccuracyMatrix = readonly AccuracyRow[];

/** A T×T matrix with no row evaluated yet. */
export function emptyMatrix(tasks: number): AccuracyMatrix {
  if (!Number.isSafeInteger(tasks) || tasks < 1) {
    throw new MetricsInputError(`emptyMatrix: the number of tasks must be an integer ≥ 1, got ${tasks}`);
  }
  return Array.from({ length: tasks }, () => Array.from({ length: tasks }, () => null));
}

/**
 * Returns a copy of `matrix` with row `task` set to `row` = [R[task][0], ..., R[task][task]] (length task+1);
 * the input matrix is not modified. Rows must be filled in task order: every earlier row must already be
 * filled (re-setting a filled row, e.g. after re-evaluation, is allowed).
 */
export function setRow(matrix: AccuracyMatrix, task: number, row: readonly number[]): AccuracyMatrix {
  const filled = filledRows(matrix);
  const tasks = matrix.length;
  if (!Number.isSafeInteger(task) || task < 0 || task >= tasks) {
    throw new MetricsInputError(`setRow: task must be an integer in [0, ${tasks - 1}], got ${task}`);
  }
  if (task > filled) {
    throw new MetricsInputError(
      `setRow: rows are filled in task order; row ${task} cannot be set before row ${filled}`,
    );
  }
  if (!Array.isArray(row) || row.length !== task + 1) {
    throw new MetricsInputError(
      `setRow: row ${task} must hold ${task + 1} accuracies (tasks 0..${task}), got ${Array.isArray(row) ? row.length : typeof row}`,
    );
  }
  row.forEach((value, j) => checkPercent(value, `setRow: R[${task}][${j}]`));
  return matrix.map((oldRow, i) =>
    i === task ? Array.from({ length: tasks }, (_, j) => (j <= task ? row[j] : null)) : [...oldRow],
  );
}

/**
 * Validates the shape and values of an accuracy matrix and returns how many rows are filled
 * (the F of "rows 0..F−1 evaluated"; F = T for a finished run).
 */
export function filledRows(matrix: AccuracyMatrix): number {
  if (!Array.isArray(matrix) || matrix.length < 1) {
    throw new MetricsInputError('accuracy matrix: expected a non-empty array of rows');
  }
  const tasks = matrix.length;
  let filled = 0;
  matrix.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== tasks) {
      throw new MetricsInputError(
        `accuracy matrix: row ${i} must have ${tasks} cells (a T×T matrix, T = ${tasks}), got ${Array.isArray(row) ? row.length : typeof row}`,
      );
    }
    const isEmpty = row.every((cell) => cell === null);
    if (isEmpty) return;
    if (filled !== i) {
      throw new MetricsInputError(
        `accuracy matrix: row ${i} is filled but row ${filled} is not; rows must be filled in task order`,
      );
    }
    row.forEach((cell, j) => {
      if (j > i) {
        if (cell !== null) {
          throw new MetricsInputError(
            `accuracy matrix: R[${i}][${j}] must be null (task ${j} is not trained after task ${i}), got ${cell}`,
          );
        }
      } else {
        if (cell === null) {
          throw new MetricsInputError(`accuracy matrix: row ${i} is partly filled; R[${i}][${j}] is null`);
        }
        checkPercent(cell, `accuracy matrix: R[${i}][${j}]`);
      }
    });
    filled = i + 1;
  });
  return filled;
}

/** Throws unless `value` is a finite percentage in [0, 100]. */
export function checkPercent(value: unknown, where: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 100) {
    throw new MetricsInputError(
      `${where} must be a finite accuracy in [0, 100] (percent), got ${String(value)}`,
    );
  }
}
