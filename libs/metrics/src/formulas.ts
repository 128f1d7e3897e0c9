/** How a metric is computed, for showing next to its value (dashboards, reports). */
export interface FormulaDisplay {
  /** The metric's short name, as used in table headers. */
  readonly name: string;
  /** Unicode plain text, for terminals and tooltips. */
  readonly text: string;
  /** LaTeX (math mode, no delimiters), for KaTeX/MathJax. */
  readonly latex: string;
  /** Definitions of the symbols and conventions. */
  readonly legend: string;
}

const MATRIX_LEGEND =
  'Tasks are numbered 1..T as in the paper (the code indexes them 0..T−1). R_{i,j} = top-1 accuracy (%) on the ' +
  'test images of task j’s classes after training task i (j ≤ i).';

/**
 * Display strings for the metrics this library computes. For a run still in progress, T stands for the
 * last task trained so far.
 */
export const FORMULAS = {
  accuracyAfterTask: {
    name: 'A_t',
    text: 'A_t = 100 · Σ_{j≤t} c_{t,j} / Σ_{j≤t} n_j',
    latex: 'A_t = 100 \\cdot \\frac{\\sum_{j \\le t} c_{t,j}}{\\sum_{j \\le t} n_j}',
    legend:
      'Top-1 accuracy (%) on the test images of all classes seen after task t, one argmax over all seen classes, ' +
      'no task id. c_{t,j} = correctly classified test images of task j after task t, n_j = test images of task j. ' +
      'Image-weighted: not the mean of the row R_{t,·}.',
  },
  lastAcc: {
    name: 'Last-Acc',
    text: 'Last-Acc = A_T',
    latex: '\\text{Last-Acc} = A_T',
    legend: 'Accuracy on all classes after the last task.',
  },
  incAcc: {
    name: 'Inc-Acc',
    text: 'Inc-Acc = (1/T) · Σ_{t=1..T} A_t',
    latex: '\\text{Inc-Acc} = \\frac{1}{T} \\sum_{t=1}^{T} A_t',
    legend: 'Mean over tasks of the accuracy on all classes seen so far.',
  },
  forgetting: {
    name: 'Forgetting',
    text: 'F = (1/(T−1)) · Σ_{j=1..T−1} ( max_{i=j..T−1} R_{i,j} − R_{T,j} )',
    latex: 'F = \\frac{1}{T-1} \\sum_{j=1}^{T-1} \\Bigl( \\max_{j \\le i \\le T-1} R_{i,j} - R_{T,j} \\Bigr)',
    legend: `${MATRIX_LEGEND} Best earlier accuracy on each old task minus its final accuracy, in percentage points; not clipped at 0. Defined as 0 when T = 1.`,
  },
  bwt: {
    name: 'BWT',
    text: 'BWT = (1/(T−1)) · Σ_{j=1..T−1} ( R_{T,j} − R_{j,j} )',
    latex: '\\text{BWT} = \\frac{1}{T-1} \\sum_{j=1}^{T-1} \\bigl( R_{T,j} - R_{j,j} \\bigr)',
    legend: `${MATRIX_LEGEND} Final minus just-learned accuracy on each old task; negative = forgetting, positive = backward transfer. Defined as 0 when T = 1.`,
  },
} as const satisfies Record<string, FormulaDisplay>;
