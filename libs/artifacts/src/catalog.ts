import {
  canonicalJson,
  manifestDigest,
  parseManifest,
  SPLIT_SCHEMA,
  type DatasetManifest,
  type DatasetSplit,
} from '@slca/data';
import {
  artifactExists,
  fetchVerified,
  listArtifacts,
  readArtifact,
  readArtifactManifest,
  sha256Hex,
  writeArtifact,
  type ArtifactManifest,
  type ArtifactMeta,
} from './artifact';
import {
  AlreadyExistsError,
  DataLossError,
  InvalidArgumentError,
  isArtifactError,
  NotFoundError,
} from './errors';
import {
  accuracyRowKey,
  accuracyRowsPrefix,
  BACKBONES_PREFIX,
  backbonePrefix,
  checkpointPrefix,
  classStatsPrefix,
  DATASETS_PREFIX,
  datasetPrefix,
  legacyTrainHistoryKey,
  runConfigKey,
  runPrefix,
  RUNS_PREFIX,
  splitPrefix,
  statsPrefix,
  trainHistoryPrefix,
  trainHistorySegmentKey,
  trainHistorySeqOf,
  validateSegment,
} from './layout';
import type { ObjectStore } from './store';

/*
 * What each kind of artifact holds. The services agree on these through this module only.
 *   dataset          datasets/<name>/   dataset.json (slca.dataset/v1) + images/<sha256>.<ext> (content-addressed)
 *   split            splits/<id>/       split.json (slca.split/v1)
 *   backbone         backbones/<name>/  weights.safetensors (timm names, float32) + backbone.json (slca.backbone/v1)
 *   checkpoint       runs/<id>/checkpoints/<seq>/   state.safetensors (the engine's resumable state)
 *   model            runs/<id>/models/<task>/       model.safetensors (backbone + the heads evaluated after task)
 *   class-statistics runs/<id>/stats/<label>/       stats.f64 (float64 mean[dim] + covariance[dim·dim])
 *   run record       runs/<id>/run.json  (mutable, one writer: the run's trainer; replaced whole)
 *   accuracy rows    runs/<id>/metrics/accuracy/<task>.json
 *   train history    runs/<id>/history/<seq>.jsonl  (one segment per checkpoint; see appendTrainHistory)
 *   uploads          runs/<id>/uploads/<sha256>  (staging for payloads a service then verifies and commits)
 *   feature samples  runs/<id>/samples/<sha256>.f32  (drawn by the statistics store; content-addressed)
 */

const DATASET_FILE = 'dataset.json';
const SPLIT_FILE = 'split.json';
export const CHECKPOINT_FILE = 'state.safetensors';
export const MODEL_FILE = 'model.safetensors';
export const STATS_FILE = 'stats.f64';

const json = (value: unknown) => Buffer.from(`${canonicalJson(value)}\n`);

/** Where a dataset's image is stored: by content, so re-imports and shared files cost nothing. */
function imageName(item: { file: string; sha256: string }): string {
  const ext = /\.([A-Za-z0-9]{1,5})$/.exec(item.file)?.[1]?.toLowerCase() ?? 'bin';
  return `images/${item.sha256}.${ext}`;
}

export interface StoredDataset {
  manifest: DatasetManifest;
  digest: string;
  artifact: ArtifactManifest;
  /** The verified bytes of one of the manifest's files (by its manifest path). */
  read(file: string): Promise<Uint8Array>;
}

/**
 * Stores a dataset: its images (read through `readFile`, checked against the manifest's SHA-256 before
 * anything is written) and then its manifest. Re-registering the same manifest is a no-op; a different
 * one under the same name is `already_exists`.
 */
export async function putDataset(
  store: ObjectStore,
  manifest: DatasetManifest,
  readFile: (file: string) => Promise<Uint8Array>,
): Promise<StoredDataset> {
  const prefix = datasetPrefix(manifest.name);
  const digest = manifestDigest(manifest);
  if (await artifactExists(store, prefix)) {
    const existing = await getDataset(store, manifest.name);
    if (existing.digest !== digest)
      throw new AlreadyExistsError(prefix, `dataset ${manifest.name} is already registered with other files`);
    return existing;
  }
  const files = new Map<string, Uint8Array>();
  for (const item of [...manifest.train, ...manifest.test]) {
    const name = imageName(item);
    if (files.has(name)) continue;
    const bytes = await readFile(item.file);
    if (sha256Hex(bytes) !== item.sha256)
      throw new DataLossError(
        item.file,
        `${item.file}: content does not match the manifest's sha256 ${item.sha256}`,
      );
    files.set(name, bytes);
  }
  files.set(DATASET_FILE, json(manifest));
  await writeArtifact(store, prefix, 'dataset', Object.fromEntries(files), { digest, name: manifest.name });
  return getDataset(store, manifest.name);
}

export async function getDataset(store: ObjectStore, name: string): Promise<StoredDataset> {
  const prefix = datasetPrefix(name);
  const artifact = await readArtifactManifest(store, prefix).catch((e: unknown) => {
    throw isArtifactError(e) && e.code === 'not_found'
      ? new NotFoundError(prefix, `dataset ${name} is not registered`)
      : e;
  });
  const entries = new Map(artifact.files.map((f) => [f.name, f]));
  const entry = (fileName: string) => {
    const e = entries.get(fileName);
    if (!e) throw new DataLossError(prefix, `dataset ${name} lists no stored file ${fileName}`);
    return e;
  };
  const manifest = parseManifest(
    JSON.parse((await fetchVerified(store, entry(DATASET_FILE))).toString('utf8')),
    prefix,
  );
  const byFile = new Map([...manifest.train, ...manifest.test].map((it) => [it.file, it]));
  return {
    manifest,
    digest: manifestDigest(manifest),
    artifact,
    read: async (file) => {
      const item = byFile.get(file);
      if (!item) throw new NotFoundError(file, `dataset ${name} has no file ${file}`);
      return fetchVerified(store, entry(imageName(item)));
    },
  };
}

export async function listDatasets(store: ObjectStore): Promise<string[]> {
  return (await listArtifacts(store, DATASETS_PREFIX))
    .map((p) => p.slice(DATASETS_PREFIX.length).replace(/\/$/, ''))
    .filter((n) => !n.includes('/'));
}

/** Stores a split once; the same split again is a no-op, a different one under its id `already_exists`. */
export async function putSplit(store: ObjectStore, split: DatasetSplit): Promise<ArtifactManifest> {
  const prefix = splitPrefix(split.id);
  const bytes = json(split);
  if (await artifactExists(store, prefix)) {
    const existing = await readArtifact(store, prefix);
    if (!existing.files.get(SPLIT_FILE)?.equals(bytes))
      throw new AlreadyExistsError(prefix, `split ${split.id} already exists with other contents`);
    return existing.manifest;
  }
  return writeArtifact(store, prefix, 'split', { [SPLIT_FILE]: bytes }, { dataset: split.dataset });
}

export async function getSplit(
  store: ObjectStore,
  id: string,
): Promise<{ split: DatasetSplit; artifact: ArtifactManifest }> {
  const prefix = splitPrefix(id);
  const artifact = await readArtifact(store, prefix).catch((e: unknown) => {
    throw isArtifactError(e) && e.code === 'not_found'
      ? new NotFoundError(prefix, `split ${id} does not exist`)
      : e;
  });
  const split = JSON.parse(artifact.files.get(SPLIT_FILE)?.toString('utf8') ?? 'null') as DatasetSplit;
  if (split?.schema !== SPLIT_SCHEMA)
    throw new DataLossError(prefix, `split ${id}: ${SPLIT_FILE} is not ${SPLIT_SCHEMA}`);
  return { split, artifact: artifact.manifest };
}

// Backbones

export const BACKBONE_SCHEMA = 'slca.backbone/v1';
export const BACKBONE_WEIGHTS_FILE = 'weights.safetensors';
const BACKBONE_RECORD_FILE = 'backbone.json';

/** What a registered backbone is: its architecture, the stored weights' digest and where they came from. */
export interface BackboneRecord {
  schema: typeof BACKBONE_SCHEMA;
  name: string;
  /** The preset it was registered as (`vit-b16`), or `custom`. */
  archName: string;
  /** The ViT architecture the weights fit (imageSize, patchSize, dim, depth, heads, mlpDim[, normEps]). */
  arch: Record<string, number>;
  /** SHA-256 of the stored `weights.safetensors`: what runs refer to. */
  digest: string;
  size: number;
  tensors: number;
  source: { file: string; format: 'safetensors' | 'torch'; sha256: string; size: number };
  /** Tensors of the source file that are not part of the backbone and were dropped (e.g. `head.weight`). */
  dropped: string[];
  registeredAt: string;
}

/** What the engine's preparation of a weights file tells the record (structurally: artifacts knows no engine). */
export interface PreparedBackboneInfo {
  weights: Uint8Array;
  digest: string;
  format: 'safetensors' | 'torch';
  tensors: number;
  dropped: string[];
  archName: string;
  source: { sha256: string; size: number };
}

/** The record of a backbone registered from `sourceFile` (its base name is kept, not the path). */
export function backboneRecord(
  name: string,
  arch: object,
  prepared: PreparedBackboneInfo,
  sourceFile: string,
  registeredAt = new Date(),
): BackboneRecord {
  return {
    schema: BACKBONE_SCHEMA,
    name,
    archName: prepared.archName,
    arch: { ...(arch as Record<string, number>) },
    digest: prepared.digest,
    size: prepared.weights.length,
    tensors: prepared.tensors,
    source: {
      file: sourceFile.split(/[\\/]/).at(-1) ?? sourceFile,
      format: prepared.format,
      sha256: prepared.source.sha256,
      size: prepared.source.size,
    },
    dropped: [...prepared.dropped],
    registeredAt: registeredAt.toISOString(),
  };
}

export interface StoredBackbone {
  record: BackboneRecord;
  artifact: ArtifactManifest;
  /** The verified weights (timm-named safetensors). */
  read(): Promise<Buffer>;
}

/**
 * Registers a backbone: the weights, then the record, committed by the manifest written last.
 * Registering the same weights under the same name again is a no-op; other weights under a taken name
 * are `already_exists` (a backbone is immutable, since runs refer to it by name and digest).
 */
export async function putBackbone(
  store: ObjectStore,
  record: BackboneRecord,
  weights: Uint8Array,
): Promise<StoredBackbone> {
  const prefix = backbonePrefix(record.name);
  if (sha256Hex(weights) !== record.digest || weights.length !== record.size)
    throw new InvalidArgumentError('record.digest', record.digest, 'does not match the weights');
  if (await artifactExists(store, prefix)) {
    const existing = await getBackbone(store, record.name);
    if (existing.record.digest !== record.digest)
      throw new AlreadyExistsError(
        prefix,
        `backbone ${record.name} is already registered with other weights (sha256 ${existing.record.digest})`,
      );
    return existing;
  }
  await writeArtifact(
    store,
    prefix,
    'backbone',
    { [BACKBONE_WEIGHTS_FILE]: weights, [BACKBONE_RECORD_FILE]: json(record) },
    { name: record.name, digest: record.digest },
  );
  return getBackbone(store, record.name);
}

export async function getBackbone(store: ObjectStore, name: string): Promise<StoredBackbone> {
  const prefix = backbonePrefix(name);
  const artifact = await readArtifactManifest(store, prefix).catch((e: unknown) => {
    throw isArtifactError(e) && e.code === 'not_found'
      ? new NotFoundError(prefix, `backbone ${name} is not registered`)
      : e;
  });
  const entry = (file: string) => {
    const e = artifact.files.find((f) => f.name === file);
    if (!e) throw new DataLossError(prefix, `backbone ${name} lists no stored file ${file}`);
    return e;
  };
  const record = JSON.parse(
    (await fetchVerified(store, entry(BACKBONE_RECORD_FILE))).toString('utf8'),
  ) as BackboneRecord;
  if (record?.schema !== BACKBONE_SCHEMA || record.name !== name)
    throw new DataLossError(
      prefix,
      `backbone ${name}: ${BACKBONE_RECORD_FILE} is not a ${BACKBONE_SCHEMA} record for it`,
    );
  if (entry(BACKBONE_WEIGHTS_FILE).sha256 !== record.digest)
    throw new DataLossError(prefix, `backbone ${name}: stored weights do not have the recorded digest`);
  return { record, artifact, read: () => fetchVerified(store, entry(BACKBONE_WEIGHTS_FILE)) };
}

export async function listBackbones(store: ObjectStore): Promise<string[]> {
  return (await listArtifacts(store, BACKBONES_PREFIX))
    .map((p) => p.slice(BACKBONES_PREFIX.length).replace(/\/$/, ''))
    .filter((n) => !n.includes('/'));
}

// Runs

/** What a run is, written once when it starts: the evaluator and any reader learn the run's setup here. */
export interface RunConfigFile {
  runId: string;
  benchmark: string;
  dataset: string;
  splitId: string;
  /** Side length the dataset's images are decoded at. */
  imageSize: number;
  /** The engine's experiment configuration (JSON). */
  experiment: Record<string, unknown>;
  /**
   * The test transform from the source images (the paper's Resize → CenterCrop, `crop` = `imageSize`):
   * the evaluator then decodes the test set chunk by chunk. Absent or null: every image resized to `imageSize`.
   */
  testTransform?: { resize: number; crop: number } | null;
  createdAt: string;
}

/** Writes a run's configuration once; the same configuration again is accepted, another one is not. */
export async function putRunConfig(store: ObjectStore, config: RunConfigFile): Promise<void> {
  const key = runConfigKey(config.runId);
  const bytes = json(config);
  if (await store.exists(key)) {
    if (!(await store.get(key)).equals(bytes))
      throw new AlreadyExistsError(key, `run ${config.runId} already exists with another configuration`);
    return;
  }
  await store.put(key, bytes, { contentType: 'application/json' });
}

export async function getRunConfig(store: ObjectStore, runId: string): Promise<RunConfigFile> {
  const key = runConfigKey(runId);
  try {
    return JSON.parse((await store.get(key)).toString('utf8')) as RunConfigFile;
  } catch (e) {
    if (isArtifactError(e) && e.code === 'not_found')
      throw new NotFoundError(key, `run ${runId} does not exist`);
    throw e;
  }
}

/**
 * The run's record (`runs/<id>/run.json`): its state, its owner and its audit log (who changed its state,
 * when). Only the trainer holding the run writes it, whole, one write after another.
 */
export function runRecordKey(runId: string): string {
  return `${runPrefix(runId)}run.json`;
}

export function modelPrefix(runId: string, task: number): string {
  if (!Number.isInteger(task) || task < 0 || task > 9999)
    throw new InvalidArgumentError('task', task, 'expected 0..9999');
  return `${runPrefix(runId)}models/${String(task).padStart(4, '0')}/`;
}

export function uploadKey(runId: string, sha256: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256))
    throw new InvalidArgumentError('sha256', sha256, 'expected 64 lower-case hex digits');
  return `${runPrefix(runId)}uploads/${sha256}`;
}

/**
 * Where features sampled for a run are kept: named by their SHA-256, so the same draw (same classes,
 * counts and seed) lands on the same key and a repeated request costs nothing.
 */
export function samplesKey(runId: string, sha256: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256))
    throw new InvalidArgumentError('sha256', sha256, 'expected 64 lower-case hex digits');
  return `${runPrefix(runId)}samples/${sha256}.f32`;
}

/** Writes a run's record whole (one PUT: a reader sees the old or the new one). */
export async function putRunRecord(store: ObjectStore, runId: string, record: object): Promise<void> {
  await store.put(runRecordKey(runId), json(record), { contentType: 'application/json' });
}

export async function getRunRecord<R>(store: ObjectStore, runId: string): Promise<R | undefined> {
  try {
    return JSON.parse((await store.get(runRecordKey(runId))).toString('utf8')) as R;
  } catch (e) {
    if (isArtifactError(e) && e.code === 'not_found') return undefined;
    throw e;
  }
}

export async function listRunIds(store: ObjectStore): Promise<string[]> {
  const suffix = '/run.json';
  return (await store.list(RUNS_PREFIX))
    .filter((k) => k.endsWith(suffix) && k.split('/').length === 3)
    .map((k) => k.slice(RUNS_PREFIX.length, -suffix.length));
}

/** Commits an immutable single-file artifact; the same bytes again are accepted (a retried or resumed writer). */
async function putOnce(
  store: ObjectStore,
  prefix: string,
  kind: string,
  file: string,
  bytes: Uint8Array,
  meta: ArtifactMeta,
): Promise<ArtifactManifest> {
  if (await artifactExists(store, prefix)) {
    const existing = await readArtifactManifest(store, prefix);
    const entry = existing.files.find((f) => f.name === file);
    if (entry?.sha256 !== sha256Hex(bytes))
      throw new AlreadyExistsError(
        prefix,
        `${prefix} already holds different contents (sha256 ${entry?.sha256})`,
      );
    return existing;
  }
  return writeArtifact(store, prefix, kind, { [file]: bytes }, meta);
}

export function putCheckpoint(
  store: ObjectStore,
  runId: string,
  seq: number,
  state: Uint8Array,
  meta: ArtifactMeta,
) {
  return writeArtifact(store, checkpointPrefix(runId, seq), 'checkpoint', { [CHECKPOINT_FILE]: state }, meta);
}

export function putModel(
  store: ObjectStore,
  runId: string,
  task: number,
  model: Uint8Array,
  meta: ArtifactMeta,
) {
  return putOnce(store, modelPrefix(runId, task), 'model', MODEL_FILE, model, meta);
}

export function putClassStatistics(
  store: ObjectStore,
  runId: string,
  label: number,
  stats: Uint8Array,
  meta: { classLabel: number; task: number; count: number; dim: number },
) {
  return putOnce(store, classStatsPrefix(runId, label), 'class-statistics', STATS_FILE, stats, meta);
}

export async function getClassStatistics(
  store: ObjectStore,
  runId: string,
  label: number,
): Promise<{
  bytes: Buffer;
  manifest: ArtifactManifest<{ classLabel: number; task: number; count: number; dim: number }>;
}> {
  const prefix = classStatsPrefix(runId, label);
  const artifact = await readArtifact<{ classLabel: number; task: number; count: number; dim: number }>(
    store,
    prefix,
  ).catch((e: unknown) => {
    throw isArtifactError(e) && e.code === 'not_found'
      ? new NotFoundError(prefix, `run ${runId} has no statistics for class ${label}`)
      : e;
  });
  return { bytes: artifact.files.get(STATS_FILE) as Buffer, manifest: artifact.manifest };
}

export async function listClassStatistics(store: ObjectStore, runId: string): Promise<string[]> {
  return listArtifacts(store, statsPrefix(runId));
}

/** One stage-1 step of a run, as the trainer records it for curves (loss, learning rates). */
export interface TrainHistoryPoint {
  task: number;
  tasks: number;
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  loss: number;
  lr: number;
  backboneLr: number;
  /** When the step ended (ms since the Unix epoch); absent in histories recorded before clocks were. */
  atMs?: number;
  /** Images in the step's batch. */
  images?: number;
  /** Resident memory of the training process after the step (bytes). */
  rssBytes?: number;
}

/** Segments a history read fetches at once. */
const HISTORY_READ_CONCURRENCY = 8;

function ndjson(points: readonly TrainHistoryPoint[]): Buffer {
  return Buffer.from(points.map((p) => `${JSON.stringify(p)}\n`).join(''));
}

function parseNdjson(bytes: Buffer): TrainHistoryPoint[] {
  return bytes
    .toString('utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as TrainHistoryPoint);
}

/**
 * Records the steps that precede checkpoint `seq` as that checkpoint's history segment (one JSON object per
 * line): one write of just these points, whatever the length of the history before them. The trainer
 * writes each segment just before its checkpoint, so a run resumed from the checkpoint before writes the
 * same segment again (replacing it) and never records a step twice.
 */
export async function appendTrainHistory(
  store: ObjectStore,
  runId: string,
  seq: number,
  points: readonly TrainHistoryPoint[],
): Promise<void> {
  const key = trainHistorySegmentKey(runId, seq);
  if (points.length === 0) return;
  await store.put(key, ndjson(points), { contentType: 'application/x-ndjson' });
}

/**
 * A run's whole training history in order: the single object of a run stored before segments (if any),
 * then every segment in sequence order.
 */
export async function readTrainHistory(store: ObjectStore, runId: string): Promise<TrainHistoryPoint[]> {
  const legacy = legacyTrainHistoryKey(runId);
  const segments = (await store.list(trainHistoryPrefix(runId)))
    .map((key) => ({ key, seq: trainHistorySeqOf(runId, key) }))
    .filter((s): s is { key: string; seq: number } => s.seq !== undefined)
    .sort((a, b) => a.seq - b.seq)
    .map((s) => s.key);
  const keys = (await store.exists(legacy)) ? [legacy, ...segments] : segments;
  const parts: TrainHistoryPoint[][] = new Array(keys.length);
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const i = next;
      next += 1;
      parts[i] = parseNdjson(await store.get(keys[i]));
    }
  };
  await Promise.all(Array.from({ length: Math.min(HISTORY_READ_CONCURRENCY, keys.length) }, worker));
  return parts.flat();
}

export interface AccuracyRow {
  task: number;
  accuracy: number;
  perTask: number[];
}

/** Stores row `task` of a run's accuracy matrix; the same row again is accepted, a different one is not. */
export async function putAccuracyRow(store: ObjectStore, runId: string, row: AccuracyRow): Promise<void> {
  const key = accuracyRowKey(runId, row.task);
  const bytes = json(row);
  if (await store.exists(key)) {
    if (!(await store.get(key)).equals(bytes))
      throw new AlreadyExistsError(
        key,
        `run ${runId} already has a different accuracy row for task ${row.task}`,
      );
    return;
  }
  await store.put(key, bytes, { contentType: 'application/json' });
}

export async function listAccuracyRows(store: ObjectStore, runId: string): Promise<AccuracyRow[]> {
  validateSegment('runId', runId);
  const keys = await store.list(accuracyRowsPrefix(runId));
  return Promise.all(keys.map(async (k) => JSON.parse((await store.get(k)).toString('utf8')) as AccuracyRow));
}
