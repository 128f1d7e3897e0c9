export { MetricsInputError } from './metrics-input-error';
export { emptyMatrix, setRow, filledRows, type AccuracyMatrix, type AccuracyRow } from './accuracy-matrix';
export { evaluatePredictions, type PredictionsToEvaluate, type TaskEvaluation } from './evaluate-predictions';
export { lastAcc, incAcc } from './accuracy-summary';
export { forgetting, forgettingPerTask, bwt, bwtPerTask } from './forgetting';
export { meanStd, formatMeanStd, type MeanStd, type MeanStdOptions } from './mean-std';
export { summariseRuns, type RunResult, type RunSummaryRow } from './run-summary';
export {
  markdownTable,
  type MarkdownTableOptions,
  type PublishedResult,
  type PublishedValue,
  type SummaryColumn,
} from './markdown-table';
export { FORMULAS, type FormulaDisplay } from './formulas';
