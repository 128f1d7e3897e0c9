import { InvalidArgumentError } from './errors';

/**
 * The one definition of where things live in the object store. Every other project builds keys
 * through these functions, so a layout change is a change here and nowhere else.
 *
 * ```
 * datasets/<name>/manifest.json + files          a dataset artifact
 * splits/<splitId>/manifest.json + files         a split artifact (class order, tasks, file lists)
 * backbones/<name>/manifest.json + files         a registered backbone (timm-named safetensors + its record)
 * uploads/backbones/<uploadId>/<file>            a weights file put by a client for RegisterBackbone to read
 * runs/<runId>/config.json                        the run's configuration, written once at start
 * runs/<runId>/checkpoints/<seq>/manifest.json   a checkpoint artifact; <seq> zero-padded, so key order = sequence order
 * runs/<runId>/stats/<classId>/manifest.json     per-class statistics artifact; <classId> zero-padded
 * runs/<runId>/metrics/accuracy/<task>.json      one accuracy-matrix row per task
 * runs/<runId>/metrics/predictions/<task>.json   the predictions that row was counted from (class ids)
 * runs/<runId>/metrics/summary.json               Last-Acc, Inc-Acc, forgetting, BWT
 * runs/<runId>/history/<seq>.jsonl                training-history segment: the steps before checkpoint <seq>
 * runs/<runId>/metrics/train.jsonl                the whole history of runs stored before segments (read only)
 * runs/<runId>/logs/<name>                        log files
 * ```
 */

export const DEFAULT_BUCKET = 'slca';

/** The file that commits an artifact; see `artifact.ts`. */
export const MANIFEST_FILE = 'manifest.json';

/** Digits of a checkpoint sequence number in its key; enough for a checkpoint every step of any run we plan. */
export const CHECKPOINT_SEQ_DIGITS = 8;
export const CLASS_ID_DIGITS = 5;
export const TASK_INDEX_DIGITS = 4;

const SEGMENT_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;
/** Names of files inside an artifact may be nested (`images/007/a.png`) and keep their case. */
const FILE_SEGMENT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const MAX_FILE_NAME_LENGTH = 512;
/** S3's rule: 3–63 characters, lower-case letters, digits, dots and hyphens, starting and ending alphanumeric. */
const BUCKET_PATTERN = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Checks one name or id used as a key segment; the error names `field` and the value. */
export function validateSegment(field: string, value: unknown): string {
  if (typeof value !== 'string') throw new InvalidArgumentError(field, value, 'expected a string');
  if (!SEGMENT_PATTERN.test(value)) {
    throw new InvalidArgumentError(
      field,
      value,
      `must match ${SEGMENT_PATTERN.source} (lower-case letters, digits, ".", "_", "-"; at most 63 characters)`,
    );
  }
  if (value.includes('..')) throw new InvalidArgumentError(field, value, 'must not contain ".."');
  return value;
}

/** Checks the name of a file inside an artifact: `/`-separated segments, none of them `.` or `..`. */
export function validateFileName(field: string, value: unknown): string {
  if (typeof value !== 'string') throw new InvalidArgumentError(field, value, 'expected a string');
  if (value.length === 0 || value.length > MAX_FILE_NAME_LENGTH) {
    throw new InvalidArgumentError(field, value, `must be 1–${MAX_FILE_NAME_LENGTH} characters`);
  }
  if (value.includes('..')) throw new InvalidArgumentError(field, value, 'must not contain ".."');
  for (const segment of value.split('/')) {
    if (!FILE_SEGMENT_PATTERN.test(segment)) {
      throw new InvalidArgumentError(
        field,
        value,
        `every "/"-separated part must match ${FILE_SEGMENT_PATTERN.source}`,
      );
    }
  }
  // A nested manifest.json would make its folder look like a committed artifact of its own.
  if (value.split('/').at(-1) === MANIFEST_FILE) {
    throw new InvalidArgumentError(field, value, `"${MANIFEST_FILE}" is reserved for artifact manifests`);
  }
  return value;
}

export function validateBucketName(field: string, value: unknown): string {
  if (typeof value !== 'string') throw new InvalidArgumentError(field, value, 'expected a string');
  if (!BUCKET_PATTERN.test(value) || value.includes('..')) {
    throw new InvalidArgumentError(
      field,
      value,
      '3–63 lower-case letters, digits, "." and "-", starting and ending with a letter or digit',
    );
  }
  return value;
}

function validateIndex(field: string, value: unknown, digits: number): string {
  const limit = 10 ** digits;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value >= limit) {
    throw new InvalidArgumentError(field, value, `expected an integer in [0, ${limit})`);
  }
  return String(value).padStart(digits, '0');
}

/** Joins a prefix (with or without its trailing `/`) and a file name. */
export function keyIn(prefix: string, name: string): string {
  return `${withSlash(prefix)}${name}`;
}

export function withSlash(prefix: string): string {
  return prefix.endsWith('/') ? prefix : `${prefix}/`;
}

// Datasets and splits

export function datasetPrefix(name: string): string {
  return `datasets/${validateSegment('datasetName', name)}/`;
}

export function datasetFileKey(name: string, file: string): string {
  return keyIn(datasetPrefix(name), validateFileName('file', file));
}

export function datasetManifestKey(name: string): string {
  return keyIn(datasetPrefix(name), MANIFEST_FILE);
}

export const DATASETS_PREFIX = 'datasets/';

export function splitPrefix(splitId: string): string {
  return `splits/${validateSegment('splitId', splitId)}/`;
}

export function splitFileKey(splitId: string, file: string): string {
  return keyIn(splitPrefix(splitId), validateFileName('file', file));
}

export function splitManifestKey(splitId: string): string {
  return keyIn(splitPrefix(splitId), MANIFEST_FILE);
}

export const SPLITS_PREFIX = 'splits/';

// Backbones

export const BACKBONES_PREFIX = 'backbones/';

export function backbonePrefix(name: string): string {
  return `${BACKBONES_PREFIX}${validateSegment('backboneName', name)}/`;
}

// Uploads

/**
 * Where a client with no path on the splitter's host (the dashboard) puts a weights file for
 * RegisterBackbone to read; the splitter removes each upload once it has read it.
 */
export const BACKBONE_UPLOADS_PREFIX = 'uploads/backbones/';

export function backboneUploadKey(uploadId: string, file: string): string {
  return `${BACKBONE_UPLOADS_PREFIX}${validateSegment('uploadId', uploadId)}/${validateSegment('file', file)}`;
}

/** The upload id and file name of an upload's key; InvalidArgumentError for a key outside the uploads. */
export function parseBackboneUploadKey(key: string): { uploadId: string; file: string } {
  const parts = key.startsWith(BACKBONE_UPLOADS_PREFIX)
    ? key.slice(BACKBONE_UPLOADS_PREFIX.length).split('/')
    : [];
  if (parts.length !== 2)
    throw new InvalidArgumentError('key', key, `must be ${BACKBONE_UPLOADS_PREFIX}<uploadId>/<file>`);
  return { uploadId: validateSegment('uploadId', parts[0]), file: validateSegment('file', parts[1]) };
}

// Runs

export const RUNS_PREFIX = 'runs/';

export function runPrefix(runId: string): string {
  return `runs/${validateSegment('runId', runId)}/`;
}

export function runConfigKey(runId: string): string {
  return `${runPrefix(runId)}config.json`;
}

export function checkpointsPrefix(runId: string): string {
  return `${runPrefix(runId)}checkpoints/`;
}

export function checkpointPrefix(runId: string, seq: number): string {
  return `${checkpointsPrefix(runId)}${validateIndex('checkpointSeq', seq, CHECKPOINT_SEQ_DIGITS)}/`;
}

export function checkpointFileKey(runId: string, seq: number, file: string): string {
  return keyIn(checkpointPrefix(runId, seq), validateFileName('file', file));
}

export function checkpointManifestKey(runId: string, seq: number): string {
  return keyIn(checkpointPrefix(runId, seq), MANIFEST_FILE);
}

/**
 * The sequence number of the checkpoint a key belongs to, or undefined when the key is not inside a
 * checkpoint of `runId`.
 */
export function checkpointSeqOf(runId: string, key: string): number | undefined {
  const base = checkpointsPrefix(runId);
  if (!key.startsWith(base)) return undefined;
  const segment = key.slice(base.length).split('/')[0];
  if (segment.length !== CHECKPOINT_SEQ_DIGITS || !/^[0-9]+$/.test(segment)) return undefined;
  return Number(segment);
}

export function statsPrefix(runId: string): string {
  return `${runPrefix(runId)}stats/`;
}

export function classStatsPrefix(runId: string, classId: number): string {
  return `${statsPrefix(runId)}${validateIndex('classId', classId, CLASS_ID_DIGITS)}/`;
}

export function classStatsFileKey(runId: string, classId: number, file: string): string {
  return keyIn(classStatsPrefix(runId, classId), validateFileName('file', file));
}

/** The class id a key under `statsPrefix(runId)` belongs to, or undefined. */
export function classIdOf(runId: string, key: string): number | undefined {
  const base = statsPrefix(runId);
  if (!key.startsWith(base)) return undefined;
  const segment = key.slice(base.length).split('/')[0];
  if (segment.length !== CLASS_ID_DIGITS || !/^[0-9]+$/.test(segment)) return undefined;
  return Number(segment);
}

export function metricsPrefix(runId: string): string {
  return `${runPrefix(runId)}metrics/`;
}

export function accuracyRowsPrefix(runId: string): string {
  return `${metricsPrefix(runId)}accuracy/`;
}

/** One row of the accuracy matrix: accuracy on every task seen so far, after training task `task`. */
export function accuracyRowKey(runId: string, task: number): string {
  return `${accuracyRowsPrefix(runId)}${validateIndex('task', task, TASK_INDEX_DIGITS)}.json`;
}

export function predictionsPrefix(runId: string): string {
  return `${metricsPrefix(runId)}predictions/`;
}

/**
 * The predictions of the model after task `task` on the test images of every class seen then (true and
 * predicted class ids, not images): what per-class accuracy and confusion matrices are computed from.
 */
export function predictionsKey(runId: string, task: number): string {
  return `${predictionsPrefix(runId)}${validateIndex('task', task, TASK_INDEX_DIGITS)}.json`;
}

export function metricsSummaryKey(runId: string): string {
  return `${metricsPrefix(runId)}summary.json`;
}

export function trainHistoryPrefix(runId: string): string {
  return `${runPrefix(runId)}history/`;
}

/**
 * One segment of a run's training history: the steps recorded before checkpoint `seq` (zero-padded like
 * the checkpoint, so key order = sequence order). Written once per checkpoint; earlier segments are
 * never rewritten.
 */
export function trainHistorySegmentKey(runId: string, seq: number): string {
  return `${trainHistoryPrefix(runId)}${validateIndex('historySeq', seq, CHECKPOINT_SEQ_DIGITS)}.jsonl`;
}

/** The sequence number of a history segment's key, or undefined when `key` is not a segment of `runId`. */
export function trainHistorySeqOf(runId: string, key: string): number | undefined {
  const base = trainHistoryPrefix(runId);
  if (!key.startsWith(base)) return undefined;
  const match = /^([0-9]+)\.jsonl$/.exec(key.slice(base.length));
  if (!match || match[1].length !== CHECKPOINT_SEQ_DIGITS) return undefined;
  return Number(match[1]);
}

/** The single-object history (one JSON line per step) of runs stored before segments; read, never written. */
export function legacyTrainHistoryKey(runId: string): string {
  return `${metricsPrefix(runId)}train.jsonl`;
}

export function logsPrefix(runId: string): string {
  return `${runPrefix(runId)}logs/`;
}

export function logKey(runId: string, name: string): string {
  return keyIn(logsPrefix(runId), validateFileName('logName', name));
}
