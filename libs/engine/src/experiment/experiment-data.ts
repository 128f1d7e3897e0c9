import { decodeResizeCenterCrop, taskSizes, type DatasetManifest } from '@slca/data';
import { loadManifestData, loadManifestSource, type ManifestFileSource } from '../benchmarks/manifest-data';
import { isSingleTask } from '../methods/registry';
import type { TransformPool } from '../pipeline/transform-pool';
import type { ExperimentData } from '../slca/experiment';
import type { ExperimentSpec } from './schema';

export class DatasetFitError extends Error {
  override name = 'DatasetFitError';
}

/**
 * Checks that a dataset's classes fit the experiment's task split before anything is trained: at least
 * the first task's classes, and (for a split other than Joint's one task) more than one task.
 */
export function checkDatasetFits(
  experiment: ExperimentSpec,
  dataset: { name: string; classes: number },
): void {
  const { initClasses, increment } = experiment;
  if (isSingleTask(experiment.method)) return;
  if (dataset.classes < initClasses)
    throw new DatasetFitError(
      `dataset ${dataset.name} has ${dataset.classes} classes, fewer than the first task's ${initClasses} (initClasses)`,
    );
  if (taskSizes(dataset.classes, initClasses, increment).length < 2)
    throw new DatasetFitError(
      `dataset ${dataset.name} has ${dataset.classes} classes: initClasses ${initClasses} and increment ${increment} leave a single task`,
    );
}

/**
 * The images of an experiment, the same way wherever it runs: with a test transform, decoded per batch
 * from their source sizes (training through `stage1.augment`, evaluation and statistics through resize →
 * centre crop); without one, decoded once at `arch.imageSize` (the embedded benchmark).
 */
export async function loadExperimentData(
  experiment: ExperimentSpec,
  manifest: DatasetManifest,
  source: ManifestFileSource,
  options: { transformPool?: TransformPool } = {},
): Promise<ExperimentData> {
  const size = experiment.arch.imageSize;
  const t = experiment.testTransform;
  if (t)
    return loadManifestSource(manifest, size, (inputs) => decodeResizeCenterCrop(inputs, t), source, options);
  return loadManifestData(manifest, size, source);
}
