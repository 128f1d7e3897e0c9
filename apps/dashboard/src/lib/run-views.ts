import {
  accuracyMatrixTable,
  confusionByTask,
  confusionTable,
  describeStabilityPlasticity,
  emptyMatrix,
  incAcc,
  lastAcc,
  oldNewAccuracy,
  oldNewTable,
  perClassAccuracyByTask,
  perClassTable,
  setRow,
  stabilityPlasticity,
  taskConfusion,
  type AccuracyMatrix,
  type DataTable,
  type OldNewRow,
  type StabilityPlasticity,
  type TaskPredictions,
} from '@slca/metrics';

/** What the continual-learning views need of the evaluator's GetRunMetrics answer. */
export interface MetricsInput {
  accuracyMatrix: readonly { values: readonly number[] }[];
  accuracies?: readonly number[];
  /** Empty from an evaluator older than these fields. */
  classesPerTask?: readonly number[];
  testImagesPerTask?: readonly number[];
  /** Empty for runs evaluated before the evaluator kept predictions. */
  predictions?: readonly { task: number; labels: readonly number[]; predicted: readonly number[] }[];
}

/** What the views need of the run's split (the splitter's answer), when there is one. */
export interface SplitInput {
  classOrder: readonly number[];
  tasks: readonly { classes: readonly number[]; testCount: number }[];
}

export interface ClassViews {
  /** T: tasks of the run as it trains them. */
  tasks: number;
  matrix: AccuracyMatrix;
  /** Classes of each task (class-order space), when known. */
  classesPerTask?: number[];
  /** Old- vs new-class accuracy after each evaluated task; empty without the test images per task. */
  oldNew: OldNewRow[];
  summary?: StabilityPlasticity;
  summaryText?: string;
  /** The tasks whose predictions are stored, in order. */
  predictedTasks: number[];
  predictions: TaskPredictions[];
  /** Per-class accuracy after each predicted task (rows aligned with `predictedTasks`). */
  perClass?: (number | null)[][];
}

/**
 * The views of one run: the matrix of its evaluated rows, old/new and the stability/plasticity summary
 * (from the matrix and the test images per task, so runs without stored predictions have them too), and
 * per-class accuracy where predictions are stored.
 */
export function classViews(metrics: MetricsInput, runTasks: number, split?: SplitInput): ClassViews {
  const rows = metrics.accuracyMatrix.map((r) => [...r.values]);
  const fromEvaluator = metrics.classesPerTask?.length ? [...metrics.classesPerTask] : undefined;
  // A joint run trains one task of every class; its split still has the benchmark's tasks.
  const splitSizes = split?.tasks.map((t) => t.classes.length);
  const classesPerTask =
    fromEvaluator ?? (splitSizes?.length === Math.max(runTasks, 1) ? splitSizes : undefined);
  const tasks = Math.max(classesPerTask?.length ?? 0, runTasks, rows.length, 1);
  let matrix = emptyMatrix(tasks);
  rows.forEach((row, t) => (matrix = setRow(matrix, t, row)));

  const testImages =
    metrics.testImagesPerTask?.length === tasks
      ? [...metrics.testImagesPerTask]
      : split?.tasks.length === tasks
        ? split.tasks.map((t) => t.testCount)
        : undefined;
  const oldNew = rows.length > 0 && testImages ? oldNewAccuracy(matrix, testImages) : [];
  const summary = rows.length > 0 && testImages ? stabilityPlasticity(matrix, testImages) : undefined;

  const predictions: TaskPredictions[] = (metrics.predictions ?? [])
    .filter((p) => p.task < rows.length)
    .map((p) => ({ task: p.task, labels: p.labels, predictions: p.predicted }));
  const perClass =
    predictions.length > 0 && classesPerTask
      ? perClassAccuracyByTask(predictions, classesPerTask)
      : undefined;
  return {
    tasks,
    matrix,
    classesPerTask,
    oldNew,
    summary,
    summaryText: summary ? describeStabilityPlasticity(summary) : undefined,
    predictedTasks: predictions.map((p) => p.task),
    predictions,
    perClass,
  };
}

/** The confusion matrix of task `task`'s model (true class × predicted class), if its predictions are stored. */
export function confusionOf(views: ClassViews, task: number): number[][] | undefined {
  const p = views.predictions.find((q) => q.task === task);
  return p && views.classesPerTask ? taskConfusion(p, views.classesPerTask) : undefined;
}

/** The same, summed over the classes of each task. */
export function taskConfusionOf(views: ClassViews, task: number): number[][] | undefined {
  const confusion = confusionOf(views, task);
  return confusion && views.classesPerTask ? confusionByTask(confusion, views.classesPerTask) : undefined;
}

/**
 * The name of each class in class-order space: `label k` is the k-th class of the split's order, shown as
 * the dataset's name for that original class when known, else its original id.
 */
export function classNames(
  split: Pick<SplitInput, 'classOrder'> | undefined,
  datasetClasses?: readonly { id: number; name: string }[],
): string[] | undefined {
  if (!split || split.classOrder.length === 0) return undefined;
  const names = new Map((datasetClasses ?? []).map((c) => [c.id, c.name]));
  return split.classOrder.map((original) => names.get(original) ?? `class ${original}`);
}

export const RUN_TABLES = [
  'matrix',
  'summary',
  'old-new',
  'per-class',
  'confusion',
  'confusion-by-task',
] as const;
export type RunTableName = (typeof RUN_TABLES)[number];

export function isRunTable(name: string): name is RunTableName {
  return (RUN_TABLES as readonly string[]).includes(name);
}

/** A run's table by name, or a sentence saying why the run does not have it. */
export function runTable(
  name: RunTableName,
  views: ClassViews,
  options: { accuracies?: readonly number[]; names?: readonly string[]; task?: number } = {},
): DataTable | string {
  const names = options.names;
  switch (name) {
    case 'matrix':
      return accuracyMatrixTable(views.matrix);
    case 'old-new':
      return views.oldNew.length > 0
        ? oldNewTable(views.oldNew)
        : 'no task evaluated yet, or the test images per task are unknown';
    case 'per-class':
      return views.perClass
        ? perClassTable(views.perClass, views.predictedTasks, names?.slice(0, views.perClass[0]?.length ?? 0))
        : 'this run has no stored predictions';
    case 'confusion':
    case 'confusion-by-task': {
      const task = options.task ?? views.predictedTasks.at(-1);
      if (task === undefined) return 'this run has no stored predictions';
      const matrix = name === 'confusion' ? confusionOf(views, task) : taskConfusionOf(views, task);
      if (!matrix) return `no stored predictions for task ${task + 1}`;
      return name === 'confusion'
        ? confusionTable(matrix, names?.slice(0, matrix.length))
        : confusionTable(
            matrix,
            matrix.map((_, t) => `task ${t + 1}`),
          );
    }
    case 'summary': {
      const s = views.summary;
      const acc = options.accuracies ?? [];
      const rows: [string, number | null][] = [
        ['Last-Acc (%)', acc.length ? lastAcc([...acc]) : null],
        ['Inc-Acc (%)', acc.length ? incAcc([...acc]) : null],
        ['Forgetting (pp)', s?.forgetting ?? null],
        ['BWT (pp)', s?.bwt ?? null],
        ['Plasticity: new classes right after learning (%)', s?.plasticity ?? null],
        ['Stability: old classes after later tasks (%)', s?.stability ?? null],
        ['Harmonic mean of stability and plasticity (%)', s?.harmonic ?? null],
        ['Stability − plasticity (pp)', s?.gap ?? null],
        ['Old classes after the last task (%)', s?.finalOld ?? null],
        ['New classes after the last task (%)', s?.finalNew ?? null],
      ];
      return {
        columns: [
          { title: 'metric', align: 'left' },
          { title: 'value', align: 'right' },
        ],
        rows,
      };
    }
  }
}
