import { createHash } from 'node:crypto';
import {
  DataLossError,
  DigestMismatchError,
  InvalidArgumentError,
  isArtifactError,
  NotFoundError,
  AlreadyExistsError,
} from './errors';
import {
  checkpointSeqOf,
  checkpointsPrefix,
  keyIn,
  MANIFEST_FILE,
  validateFileName,
  validateSegment,
  withSlash,
} from './layout';
import type { ObjectStore } from './store';
import { validateKey } from './store';

/**
 * An artifact is a set of named files under one prefix plus `manifest.json`, written last. The
 * manifest is the commit: until it exists the artifact is invisible to readers and listings, so a
 * writer that dies half way leaves nothing anyone will read. Once committed, an artifact never changes.
 */

export interface ArtifactFileEntry {
  /** The name inside the artifact, e.g. `weights.bin` or `images/007/a.png`. */
  name: string;
  /** The full object key: `<prefix><name>`. */
  key: string;
  size: number;
  /** Lower-case hex SHA-256 of the bytes. */
  sha256: string;
}

export type ArtifactMeta = Record<string, unknown>;

export interface ArtifactManifest<M extends ArtifactMeta = ArtifactMeta> {
  kind: string;
  files: ArtifactFileEntry[];
  meta: M;
  /** ISO-8601 time the manifest was written. */
  createdAt: string;
}

export interface ArtifactFileInput {
  name: string;
  body: Uint8Array;
  contentType?: string;
}

/** Files as a list, or as `{ name: bytes }`. */
export type ArtifactFiles = readonly ArtifactFileInput[] | Readonly<Record<string, Uint8Array>>;

export interface Artifact<M extends ArtifactMeta = ArtifactMeta> {
  prefix: string;
  manifest: ArtifactManifest<M>;
  /** Verified bytes by file name. */
  files: Map<string, Buffer>;
}

export interface WriteArtifactOptions {
  /** The clock for `createdAt`; injected by tests. */
  now?: () => Date;
  /** Files uploaded at once. */
  concurrency?: number;
}

const SHA256_PATTERN = /^[0-9a-f]{64}$/;

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function manifestKeyOf(prefix: string): string {
  return keyIn(artifactPrefix(prefix), MANIFEST_FILE);
}

/**
 * Uploads `files` under `prefix`, then commits them with the manifest. Refuses (`already_exists`) when
 * a committed artifact is already there; leftovers of an uncommitted attempt are simply overwritten,
 * which is how a writer retries after a crash.
 *
 * The existence check and the commit are two requests, so two writers racing for one prefix can both
 * pass it; the platform gives each prefix one writer (a run's trainer, the splitter), which keeps that
 * window closed in practice.
 */
export async function writeArtifact<M extends ArtifactMeta>(
  store: ObjectStore,
  prefix: string,
  kind: string,
  files: ArtifactFiles,
  meta: M = {} as M,
  options: WriteArtifactOptions = {},
): Promise<ArtifactManifest<M>> {
  const base = artifactPrefix(prefix);
  validateSegment('kind', kind);
  const inputs = normaliseFiles(files);
  const metaJson = serialiseMeta(meta);
  const manifestKey = keyIn(base, MANIFEST_FILE);

  if (await store.exists(manifestKey)) throw new AlreadyExistsError(base);

  const entries: ArtifactFileEntry[] = inputs.map((input) => ({
    name: input.name,
    key: keyIn(base, input.name),
    size: input.body.length,
    sha256: sha256Hex(input.body),
  }));
  await forEachLimited(inputs, options.concurrency ?? 4, (input, index) =>
    store.put(entries[index].key, input.body, { contentType: input.contentType }),
  );

  // Narrows the window in which a concurrent writer's commit would be silently replaced.
  if (await store.exists(manifestKey)) throw new AlreadyExistsError(base);

  const manifest: ArtifactManifest<M> = {
    kind,
    files: entries,
    meta: JSON.parse(metaJson) as M,
    createdAt: (options.now ?? (() => new Date()))().toISOString(),
  };
  await store.put(manifestKey, Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`), {
    contentType: 'application/json',
  });
  return manifest;
}

/** True when a committed artifact exists at `prefix`. */
export async function artifactExists(store: ObjectStore, prefix: string): Promise<boolean> {
  return store.exists(manifestKeyOf(prefix));
}

/** The committed manifest at `prefix`; `not_found` when there is none, `data_loss` when it is unreadable. */
export async function readArtifactManifest<M extends ArtifactMeta = ArtifactMeta>(
  store: ObjectStore,
  prefix: string,
): Promise<ArtifactManifest<M>> {
  const base = artifactPrefix(prefix);
  const manifestKey = keyIn(base, MANIFEST_FILE);
  let bytes: Buffer;
  try {
    bytes = await store.get(manifestKey);
  } catch (error) {
    if (isArtifactError(error) && error.code === 'not_found') {
      throw new NotFoundError(base, `no committed artifact at ${base}`);
    }
    throw error;
  }
  return parseManifest(bytes, base) as ArtifactManifest<M>;
}

/** Reads a committed artifact and every file of it, each checked against its size and SHA-256. */
export async function readArtifact<M extends ArtifactMeta = ArtifactMeta>(
  store: ObjectStore,
  prefix: string,
): Promise<Artifact<M>> {
  const manifest = await readArtifactManifest<M>(store, prefix);
  const files = new Map<string, Buffer>();
  for (const entry of manifest.files) files.set(entry.name, await fetchVerified(store, entry));
  return { prefix: artifactPrefix(prefix), manifest, files };
}

/** Reads one file of a committed artifact, checked against its manifest entry. */
export async function readArtifactFile(store: ObjectStore, prefix: string, name: string): Promise<Buffer> {
  const manifest = await readArtifactManifest(store, prefix);
  const entry = manifest.files.find((file) => file.name === name);
  if (entry === undefined) {
    throw new NotFoundError(
      keyIn(artifactPrefix(prefix), name),
      `artifact ${artifactPrefix(prefix)} has no file "${name}"`,
    );
  }
  return fetchVerified(store, entry);
}

/**
 * Prefixes of the committed artifacts at any depth under `prefix`, in key order. Files without a
 * manifest (an artifact still being written, or abandoned by a crash) are not listed.
 */
export async function listArtifacts(store: ObjectStore, prefix: string): Promise<string[]> {
  const base = prefix === '' ? '' : artifactPrefix(prefix);
  const suffix = `/${MANIFEST_FILE}`;
  return (await store.list(base))
    .filter((key) => key.endsWith(suffix) || key === MANIFEST_FILE)
    .map((key) => key.slice(0, key.length - MANIFEST_FILE.length))
    .filter((artifact) => artifact !== '')
    .sort();
}

/**
 * Un-commits an artifact (manifest first, so no reader sees it with files missing), then removes its
 * files. Used for retention, e.g. keeping only a run's last checkpoints.
 */
export async function removeArtifact(store: ObjectStore, prefix: string): Promise<void> {
  const manifest = await readArtifactManifest(store, prefix);
  await store.remove(manifestKeyOf(prefix));
  for (const entry of manifest.files) await store.remove(entry.key);
}

export interface CheckpointRef<M extends ArtifactMeta = ArtifactMeta> {
  seq: number;
  prefix: string;
  manifest: ArtifactManifest<M>;
}

/** The committed checkpoint of `runId` with the highest sequence number, or undefined when it has none. */
export async function latestCheckpoint<M extends ArtifactMeta = ArtifactMeta>(
  store: ObjectStore,
  runId: string,
): Promise<CheckpointRef<M> | undefined> {
  const committed = (await listArtifacts(store, checkpointsPrefix(runId)))
    .map((prefix) => ({ prefix, seq: checkpointSeqOf(runId, prefix) }))
    // Only a checkpoint's own folder counts; an artifact nested deeper is not a checkpoint.
    .filter((item): item is { prefix: string; seq: number } => item.seq !== undefined)
    .filter((item) => item.prefix.split('/').length === checkpointsPrefix(runId).split('/').length + 1);
  if (committed.length === 0) return undefined;
  const latest = committed.reduce((best, item) => (item.seq > best.seq ? item : best));
  return { ...latest, manifest: await readArtifactManifest<M>(store, latest.prefix) };
}

function artifactPrefix(prefix: string): string {
  if (typeof prefix !== 'string' || prefix === '' || prefix === '/') {
    throw new InvalidArgumentError(
      'prefix',
      prefix,
      'expected a non-empty key prefix such as "runs/r1/checkpoints/00000001/"',
    );
  }
  validateKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix, 'prefix');
  return withSlash(prefix);
}

function normaliseFiles(files: ArtifactFiles): ArtifactFileInput[] {
  const inputs: ArtifactFileInput[] = Array.isArray(files)
    ? [...(files as readonly ArtifactFileInput[])]
    : Object.entries(files as Readonly<Record<string, Uint8Array>>).map(([name, body]) => ({ name, body }));
  const seen = new Set<string>();
  inputs.forEach((input, index) => {
    validateFileName(`files[${index}].name`, input.name);
    if (!(input.body instanceof Uint8Array)) {
      throw new InvalidArgumentError(
        `files[${index}].body`,
        typeof input.body,
        'expected bytes (a Uint8Array or Buffer)',
      );
    }
    if (seen.has(input.name))
      throw new InvalidArgumentError(`files[${index}].name`, input.name, 'duplicate file name');
    seen.add(input.name);
  });
  return inputs;
}

function serialiseMeta(meta: unknown): string {
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) {
    throw new InvalidArgumentError('meta', meta, 'expected a JSON object');
  }
  try {
    return JSON.stringify(meta);
  } catch (error) {
    throw new InvalidArgumentError('meta', '(unserialisable)', `not JSON: ${(error as Error).message}`);
  }
}

/** Fetches one file of a manifest already read, checked against its size and SHA-256 (`data_loss` otherwise). */
export async function fetchVerified(store: ObjectStore, entry: ArtifactFileEntry): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await store.get(entry.key);
  } catch (error) {
    if (isArtifactError(error) && error.code === 'not_found') {
      throw new DataLossError(
        entry.key,
        `file "${entry.name}" listed in the manifest is missing from the store (${entry.key})`,
      );
    }
    throw error;
  }
  const actual = { size: bytes.length, sha256: sha256Hex(bytes) };
  if (actual.size !== entry.size || actual.sha256 !== entry.sha256) {
    throw new DigestMismatchError(entry.name, entry.key, { size: entry.size, sha256: entry.sha256 }, actual);
  }
  return bytes;
}

/** Checks an untrusted manifest; anything off is data loss, since the writer of a manifest is this code. */
function parseManifest(bytes: Buffer, base: string): ArtifactManifest {
  const manifestKey = keyIn(base, MANIFEST_FILE);
  const corrupt = (reason: string): never => {
    throw new DataLossError(manifestKey, `corrupt manifest ${manifestKey}: ${reason}`);
  };
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    return corrupt('not valid JSON');
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return corrupt('not a JSON object');
  const root = json as Record<string, unknown>;
  if (typeof root.kind !== 'string') corrupt('"kind" is not a string');
  if (typeof root.createdAt !== 'string') corrupt('"createdAt" is not a string');
  if (root.meta === null || typeof root.meta !== 'object' || Array.isArray(root.meta))
    corrupt('"meta" is not an object');
  if (!Array.isArray(root.files)) return corrupt('"files" is not an array');
  const files = root.files.map((raw: unknown, index): ArtifactFileEntry => {
    const file = (raw ?? {}) as Record<string, unknown>;
    if (typeof file.name !== 'string' || file.key !== keyIn(base, file.name)) {
      return corrupt(`files[${index}] does not name a key under ${base}`);
    }
    if (typeof file.size !== 'number' || !Number.isSafeInteger(file.size) || file.size < 0) {
      return corrupt(`files[${index}].size is not a byte count`);
    }
    if (typeof file.sha256 !== 'string' || !SHA256_PATTERN.test(file.sha256)) {
      return corrupt(`files[${index}].sha256 is not a hex SHA-256`);
    }
    return { name: file.name, key: file.key, size: file.size, sha256: file.sha256 };
  });
  return {
    kind: root.kind as string,
    files,
    meta: root.meta as ArtifactMeta,
    createdAt: root.createdAt as string,
  };
}

async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      await task(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
