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
export {
  confusionMatrix,
  confusionByTask,
  describeStabilityPlasticity,
  oldNewAccuracy,
  oldNewFromPredictions,
  perClassAccuracy,
  perClassAccuracyByTask,
  stabilityPlasticity,
  taskConfusion,
  type ConfusionMatrix,
  type OldNewRow,
  type StabilityPlasticity,
  type TaskPredictions,
} from './class-views';
export {
  accuracyMatrixTable,
  cellText,
  confusionTable,
  latexEscape,
  oldNewTable,
  perClassTable,
  tableLatex,
  tableMarkdown,
  tableTexts,
  type DataTable,
  type LatexTableOptions,
  type TableCell,
  type TableColumn,
  type TableTextOptions,
} from './table-export';
