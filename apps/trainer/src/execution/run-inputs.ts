import { status } from '@grpc/grpc-js';
import { checkDatasetFits, DatasetFitError, EMBEDDED_DATASET_NAME, type ExperimentSpec } from '@slca/engine';
import { invalidArgument, notFound } from '@slca/service-kit';
import type { Peers } from './peers';

const isNotFound = (error: unknown) => (error as { code?: unknown } | null)?.code === status.NOT_FOUND;

/**
 * Checks, before a run is stored, that what its experiment names exists and fits: the dataset and the
 * backbone are registered (NOT_FOUND naming them), the dataset's classes fit the task split, and the
 * backbone was registered for the experiment's architecture (INVALID_ARGUMENT naming the field).
 */
export async function checkRunInputs(experiment: ExperimentSpec, peers: Peers, runId: string): Promise<void> {
  const { dataset: datasetName, backbone: backboneName } = experiment;
  const lookup = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      if (isNotFound(error))
        throw notFound(`${what} is not registered (register it with the splitter first)`);
      throw error;
    }
  };
  const { dataset } = await lookup(`dataset ${datasetName}`, () =>
    datasetName === EMBEDDED_DATASET_NAME
      ? peers.importEmbedded({ name: datasetName }, runId)
      : peers.getDataset({ name: datasetName }, runId),
  );
  try {
    checkDatasetFits(experiment, { name: datasetName, classes: dataset?.classes.length ?? 0 });
  } catch (error) {
    if (error instanceof DatasetFitError) throw invalidArgument('experiment.initClasses', error.message);
    throw error;
  }
  const { backbone } = await lookup(`backbone ${backboneName}`, () =>
    peers.getBackbone({ name: backboneName }, runId),
  );
  const registered = JSON.parse(backbone?.archJson || '{}') as Record<string, number>;
  for (const [key, value] of Object.entries(experiment.arch))
    if (registered[key] !== undefined && registered[key] !== value)
      throw invalidArgument(
        `experiment.arch.${key}`,
        `backbone ${backboneName} is registered as ${backbone?.archJson}, the experiment says ${key} ${value}`,
      );
}
