import { manifestKeyOf, sha256Hex, type ArtifactManifest, type ObjectStore } from '@slca/artifacts';
import type { ArtifactRef } from '@slca/contracts';

/**
 * The wire form of a committed artifact. The contract names the manifest `<prefix>/manifest.json`, so the
 * prefix goes out without the layout's trailing slash. The manifest's own digest is taken from its stored
 * bytes, which is what a reader fetching it will check.
 */
export async function artifactRef(
  store: ObjectStore,
  prefix: string,
  manifest: ArtifactManifest,
): Promise<ArtifactRef> {
  const manifestKey = manifestKeyOf(prefix);
  const bytes = await store.get(manifestKey);
  return {
    prefix: prefix.replace(/\/$/, ''),
    manifest: { key: manifestKey, size: bytes.length, sha256: sha256Hex(bytes) },
    files: manifest.files.map(({ key, size, sha256 }) => ({ key, size, sha256 })),
  };
}
