import { filledRows, type AccuracyMatrix } from './accuracy-matrix';
import { MetricsInputError } from './metrics-input-error';

/*
 * All four functions read the "final" row as the last filled one, F−1, so they work on a finished run
 * (F = T) and on a run in progress alike. With a single filled row there is no old task to forget:
 * the per-task lists are empty and the means are defined as 0.
 */

/**
 * Forgetting of each old task j < F−1 (percentage points):
 * max_{i ∈ [j, F−2]} R[i][j] − R[F−1][j], the best accuracy task j ever had before the final task, minus
 * its final accuracy. Not clipped at 0: a negative value means the task's accuracy ended above its best
 * earlier value.
 */
export function forgettingPerTask(matrix: AccuracyMatrix): number[] {
  const final = finalRow(matrix, 'forgetting');
  const result: number[] = [];
  for (let j = 0; j < final; j++) {
    let best = -Infinity;
    for (let i = j; i < final; i++) best = Math.max(best, matrix[i][j] as number);
    result.push(best - (matrix[final][j] as number));
  }
  return result;
}

/** Average forgetting: the mean of {@link forgettingPerTask}; 0 when only one task has been trained. */
export function forgetting(matrix: AccuracyMatrix): number {
  return mean(forgettingPerTask(matrix));
}

/** Backward transfer of each old task j < F−1: R[F−1][j] − R[j][j] (positive = later tasks helped task j). */
export function bwtPerTask(matrix: AccuracyMatrix): number[] {
  const final = finalRow(matrix, 'bwt');
  const result: number[] = [];
  for (let j = 0; j < final; j++) result.push((matrix[final][j] as number) - (matrix[j][j] as number));
  return result;
}

/** BWT: the mean of {@link bwtPerTask}; 0 when only one task has been trained. */
export function bwt(matrix: AccuracyMatrix): number {
  return mean(bwtPerTask(matrix));
}

function finalRow(matrix: AccuracyMatrix, fn: string): number {
  const filled = filledRows(matrix);
  if (filled === 0) {
    throw new MetricsInputError(
      `${fn}: the accuracy matrix has no filled row; evaluate at least one task first`,
    );
  }
  return filled - 1;
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}
