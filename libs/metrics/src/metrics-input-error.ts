/**
 * Thrown when a metric is asked of inputs that cannot describe a continual-learning run
 * (wrong lengths, percentages outside [0, 100], a label from a task not yet seen, ...).
 * The message names the function and the offending position, so a bad artifact is easy to find.
 */
export class MetricsInputError extends Error {
  override readonly name = 'MetricsInputError';
}
