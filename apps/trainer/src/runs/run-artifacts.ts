import { listArtifacts, readArtifactManifest, runPrefix, sha256Hex, type ObjectStore } from '@slca/artifacts';

export interface RunObject {
  key: string;
  size: number;
  sha256: string;
}

/** Folders of a run whose files count only once their artifact's manifest commits them. */
const ARTIFACT_FOLDER = /\/(checkpoints|models|stats)\//;

/**
 * Every committed object of a run with its size and SHA-256, sorted by key: files of committed artifacts
 * as their manifests record them, other objects (record, configuration, metrics, history, logs) hashed as
 * read. Staging uploads and files of uncommitted artifacts are left out.
 */
export async function listRunArtifacts(store: ObjectStore, runId: string): Promise<RunObject[]> {
  const out = new Map<string, RunObject>();
  for (const prefix of await listArtifacts(store, runPrefix(runId))) {
    const manifest = await readArtifactManifest(store, prefix);
    for (const f of manifest.files) {
      out.set(f.key, { key: f.key, size: f.size, sha256: f.sha256 });
    }
  }
  for (const key of await store.list(runPrefix(runId))) {
    if (out.has(key) || key.includes('/uploads/')) continue;
    if (ARTIFACT_FOLDER.test(key) && !key.endsWith('/manifest.json')) continue;
    const bytes = await store.get(key);
    out.set(key, { key, size: bytes.length, sha256: sha256Hex(bytes) });
  }
  return [...out.values()].sort((a, b) => a.key.localeCompare(b.key));
}
