import { checkPercent } from './accuracy-matrix';
import { MetricsInputError } from './metrics-input-error';

/**
 * Last-Acc = A_T, the accuracy on all classes after the last task. For a run in progress, the accuracy
 * after the latest task trained so far.
 * @param accuracies A_0..A_{T−1} (%), one per task trained, in task order.
 */
export function lastAcc(accuracies: readonly number[]): number {
  checkAccuracies(accuracies, 'lastAcc');
  return accuracies[accuracies.length - 1];
}

/**
 * Inc-Acc = (1/T) Σ_t A_t, the mean over tasks of the accuracy on all classes seen so far (the plain
 * mean of the A_t, each of which is already image-weighted). For a run in progress, the mean over the
 * tasks trained so far.
 */
export function incAcc(accuracies: readonly number[]): number {
  checkAccuracies(accuracies, 'incAcc');
  return accuracies.reduce((a, b) => a + b, 0) / accuracies.length;
}

function checkAccuracies(accuracies: readonly number[], fn: string): void {
  if (!Array.isArray(accuracies) || accuracies.length === 0) {
    throw new MetricsInputError(`${fn}: expected at least one accuracy A_t`);
  }
  accuracies.forEach((value, t) => checkPercent(value, `${fn}: A_${t}`));
}
