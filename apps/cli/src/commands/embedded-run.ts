import { loadSplitEmojiManifest } from '@slca/data';
import {
  embeddedConfig,
  loadEmbeddedBackbone,
  loadManifestData,
  runExperiment,
  type BackendRequest,
  type ExperimentData,
  type ExperimentResult,
  type Method,
} from '@slca/engine';
import { ExperimentProgress } from '../progress';

export interface EmbeddedRunOptions {
  method: Method;
  seed: number;
  workers?: number;
  backend?: BackendRequest;
  /** Overrides the stage-1 epochs (smoke runs); the table uses the default. */
  epochs?: number;
}

let cachedData: Promise<ExperimentData> | undefined;

/** Split Emoji decoded once per process (reproduce runs many experiments on it). */
export function splitEmojiData(): Promise<ExperimentData> {
  cachedData ??= loadManifestData(loadSplitEmojiManifest({ verifyDigests: true }), 32);
  return cachedData;
}

/** One experiment on the embedded default, with a progress bar; the result plus the backbone's provenance. */
export async function runEmbedded(
  opts: EmbeddedRunOptions,
): Promise<ExperimentResult & { backbone: unknown }> {
  const config = embeddedConfig(opts.method, opts.seed, { workers: opts.workers, backend: opts.backend });
  const epochs = opts.epochs;
  if (epochs !== undefined) {
    config.stage1.epochs = epochs;
    config.stage1.milestones = config.stage1.milestones.filter((m) => m < epochs);
  }
  const [data, { values, record }] = await Promise.all([splitEmojiData(), loadEmbeddedBackbone()]);
  const progress = new ExperimentProgress(`${opts.method} seed ${opts.seed}`);
  try {
    const result = await runExperiment(config, data, values, { onProgress: (e) => progress.update(e) });
    return { ...result, backbone: { file: record.file, sha256: record.sha256 } };
  } finally {
    progress.stop();
  }
}
