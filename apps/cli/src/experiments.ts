import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import {
  backboneRecord,
  FileObjectStore,
  getBackbone,
  isArtifactError,
  putBackbone,
  type StoredBackbone,
} from '@slca/artifacts';
import { loadSplitEmojiManifest, manifestDigest, resolveDatasetFile, type DatasetManifest } from '@slca/data';
import {
  backboneFromBytes,
  checkDatasetFits,
  configOf,
  EMBEDDED_ARCH,
  EMBEDDED_BACKBONE_NAME,
  EMBEDDED_DATASET_NAME,
  embeddedBackbonePath,
  ExperimentSpecError,
  loadExperimentData,
  prepareBackbone,
  resolveExperimentText,
  runExperiment,
  TransformPool,
  type ExperimentResult,
  type ExperimentSpec,
  type ManifestFileSource,
} from '@slca/engine';
import { initBackend, parseArch, type VitArch } from '@slca/compute';
import { loadImportedDataset } from './datasets';
import { UsageError } from './io';
import { ExperimentProgress } from './progress';

/** Where `slca backbone register` keeps backbones for in-process runs: `<registry>/backbones/<name>/`. */
export const DEFAULT_REGISTRY_DIR = '.';

/** An experiment file resolved with its overrides; every problem names the file and the field (exit 2). */
export function readExperimentFile(file: string, settings: readonly string[]): ExperimentSpec {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--config ${file}: ${(error as Error).message}`);
  }
  try {
    return resolveExperimentText(text, { source: file, settings });
  } catch (error) {
    if (error instanceof ExperimentSpecError) throw new UsageError(error.message);
    throw error;
  }
}

/** The local registry's copy of a backbone; the embedded one is registered from the shipped asset on first use. */
export async function localBackbone(name: string, registryDir: string): Promise<StoredBackbone> {
  const store = new FileObjectStore(registryDir);
  try {
    return await getBackbone(store, name);
  } catch (error) {
    if (!(isArtifactError(error) && error.code === 'not_found')) throw error;
    if (name !== EMBEDDED_BACKBONE_NAME)
      throw new UsageError(
        `backbone ${name} is not registered in ${registryDir}/backbones/ (register it: slca backbone register --file F --arch A --name ${name})`,
      );
    return registerLocalBackbone(name, { ...EMBEDDED_ARCH }, embeddedBackbonePath(), registryDir);
  }
}

/** Checks a weights file against an architecture and registers it in the local registry. */
export async function registerLocalBackbone(
  name: string,
  arch: VitArch,
  file: string,
  registryDir: string,
): Promise<StoredBackbone> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(file));
  } catch (error) {
    throw new UsageError(`--file ${file}: ${(error as Error).message}`);
  }
  let prepared;
  try {
    prepared = prepareBackbone(bytes, arch, file);
  } catch (error) {
    // The file is not a backbone of that architecture: the user's to fix (exit 2), with the tensor named.
    if (['WeightsError', 'SafetensorsError', 'TorchCheckpointError'].includes((error as Error).name))
      throw new UsageError(`--file ${(error as Error).message}`);
    throw error;
  }
  return putBackbone(
    new FileObjectStore(registryDir),
    backboneRecord(name, arch, prepared, file),
    prepared.weights,
  );
}

export function parseArchFlag(value: string): VitArch {
  try {
    return parseArch(value);
  } catch (error) {
    throw new UsageError(`--arch: ${(error as Error).message}`);
  }
}

export interface LocalInputs {
  manifest: DatasetManifest;
  source: ManifestFileSource;
  datasetDigest: string;
  backbone: StoredBackbone;
}

/** The dataset and backbone an experiment names, from this machine: imported datasets and the local registry. */
export async function localInputs(
  experiment: ExperimentSpec,
  dirs: { datasetsDir: string; registryDir: string },
): Promise<LocalInputs> {
  let manifest: DatasetManifest;
  let source: ManifestFileSource;
  if (experiment.dataset === EMBEDDED_DATASET_NAME) {
    manifest = loadSplitEmojiManifest({ verifyDigests: true });
    source = resolveDatasetFile;
  } else {
    const dataset = loadImportedDataset(experiment.dataset, dirs.datasetsDir);
    manifest = dataset.manifest;
    source = dataset.resolve;
  }
  try {
    checkDatasetFits(experiment, { name: experiment.dataset, classes: manifest.classes.length });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const backbone = await localBackbone(experiment.backbone, dirs.registryDir);
  const registered = backbone.record.arch;
  for (const [key, value] of Object.entries(experiment.arch))
    if (registered[key] !== undefined && registered[key] !== value)
      throw new UsageError(
        `backbone ${experiment.backbone} is registered as ${JSON.stringify(registered)}; the experiment's arch.${key} is ${value}`,
      );
  return { manifest, source, datasetDigest: manifestDigest(manifest), backbone };
}

export interface LocalRunOptions {
  datasetsDir: string;
  registryDir: string;
  /** Worker threads for the training transforms; default: every core but one (at most 8) on tensorflow, else 0. */
  transformWorkers?: number;
  label?: string;
}

export interface LocalRunResult extends ExperimentResult {
  experiment: ExperimentSpec;
  lineage: {
    dataset: string;
    datasetDigest: string;
    backbone: string;
    backboneDigest: string;
    configurationId: string;
    configurationVersion: number;
  };
}

/** Runs an experiment in this process, with a progress bar, on local data and the local registry's backbone. */
export async function runExperimentLocally(
  experiment: ExperimentSpec,
  options: LocalRunOptions,
): Promise<LocalRunResult> {
  const inputs = await localInputs(experiment, options);
  const config = configOf(experiment);
  const backend = (await initBackend(config.compute.backend)).name;
  const transformWorkers =
    options.transformWorkers ??
    (backend === 'tensorflow' && experiment.testTransform
      ? Math.max(0, Math.min(8, availableParallelism() - 1))
      : 0);
  const transformPool = transformWorkers > 0 ? await TransformPool.create(transformWorkers) : undefined;
  const progress = new ExperimentProgress(options.label ?? `${experiment.method} seed ${experiment.seed}`);
  try {
    const data = await loadExperimentData(experiment, inputs.manifest, inputs.source, { transformPool });
    const { values } = backboneFromBytes(
      new Uint8Array(await inputs.backbone.read()),
      config.arch,
      `backbone ${experiment.backbone}`,
    );
    const result = await runExperiment(config, data, values, { onProgress: (e) => progress.update(e) });
    return {
      ...result,
      experiment,
      lineage: {
        dataset: experiment.dataset,
        datasetDigest: inputs.datasetDigest,
        backbone: experiment.backbone,
        backboneDigest: inputs.backbone.record.digest,
        configurationId: experiment.configuration?.id ?? '',
        configurationVersion: experiment.configuration?.version ?? 0,
      },
    };
  } finally {
    progress.stop();
    await transformPool?.close();
  }
}
