import type { RunMetrics, Split } from '@slca/contracts';
import { classNames, classViews, type ClassViews } from '../../../lib/run-views';
import { splitter, type RunView } from '../../../server/grpc';

export interface LoadedViews {
  views: ClassViews;
  /** Class names in class-order space (the dataset's, else "class <original id>"). */
  names?: string[];
}

/**
 * A run's continual-learning views from what the evaluator served and the run's split, with the classes
 * named by its dataset (a dataset the splitter no longer answers for leaves the original class ids).
 */
export async function loadViews(
  run: Pick<RunView, 'tasks'>,
  metrics: RunMetrics | undefined,
  split: Split | undefined,
): Promise<LoadedViews> {
  const dataset = split ? await splitter.getDataset(split.dataset).catch(() => undefined) : undefined;
  const views = classViews(metrics ?? { accuracyMatrix: [] }, run.tasks, split);
  return { views, names: classNames(split, dataset?.classes) };
}
