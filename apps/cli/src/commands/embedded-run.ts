import { loadSplitEmojiManifest } from '@slca/data';
import { loadManifestData, type ExperimentData } from '@slca/engine';

let cachedData: Promise<ExperimentData> | undefined;

/** Split Emoji decoded once per process (pre-training probes it several times). */
export function splitEmojiData(): Promise<ExperimentData> {
  cachedData ??= loadManifestData(loadSplitEmojiManifest({ verifyDigests: true }), 32);
  return cachedData;
}
