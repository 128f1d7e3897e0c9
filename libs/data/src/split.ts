import { classOrder } from './class-order';
import { manifestDigest, type DatasetItem, type DatasetManifest } from './manifest';
import { taskBoundaries, taskSizes } from './tasks';

export const SPLIT_SCHEMA = 'slca.split/v1';

export interface SplitTask {
  index: number;
  /** Original class ids of the task, in class-order position. */
  classes: number[];
  /** Files of the task's classes, in manifest order. */
  train: string[];
  test: string[];
}

/** A dataset cut into class-incremental tasks for one seed: what the trainer and the evaluator share. */
export interface DatasetSplit {
  schema: typeof SPLIT_SCHEMA;
  id: string;
  dataset: string;
  /** Digest of the dataset manifest the split was made from. */
  datasetDigest: string;
  seed: number;
  initClasses: number;
  increment: number;
  /** classOrder[k] = original id of the class that becomes label k. */
  classOrder: number[];
  tasks: SplitTask[];
}

/** The id a split gets: the same request always names the same split. */
export function splitId(dataset: string, seed: number, initClasses: number, increment: number): string {
  return `${dataset}.seed${seed}.init${initClasses}.inc${increment}`;
}

/**
 * Cuts a dataset into tasks: class order from the seed (numpy's legacy permutation), the first task gets
 * `initClasses` classes, every later one `increment`. Throws a RangeError naming the bad argument.
 */
export function buildSplit(
  manifest: DatasetManifest,
  seed: number,
  initClasses: number,
  increment: number,
): DatasetSplit {
  const classes = manifest.classes.length;
  const sizes = taskSizes(classes, initClasses, increment);
  const order = classOrder(classes, seed);
  const files = (items: DatasetItem[], ids: Set<number>) =>
    items.filter((it) => ids.has(it.label)).map((it) => it.file);
  const tasks = taskBoundaries(sizes).map(({ start, end }, index) => {
    const ids = order.slice(start, end);
    const set = new Set(ids);
    return { index, classes: ids, train: files(manifest.train, set), test: files(manifest.test, set) };
  });
  return {
    schema: SPLIT_SCHEMA,
    id: splitId(manifest.name, seed, initClasses, increment),
    dataset: manifest.name,
    datasetDigest: manifestDigest(manifest),
    seed,
    initClasses,
    increment,
    classOrder: order,
    tasks,
  };
}
