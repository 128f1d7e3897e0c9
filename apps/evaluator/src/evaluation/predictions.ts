import { AlreadyExistsError, isArtifactError, predictionsKey, type ObjectStore } from '@slca/artifacts';

/** The format of a stored predictions file (runs/<id>/metrics/predictions/<task>.json). */
export const PREDICTIONS_FORMAT = 'slca.predictions/v1';

/**
 * The predictions of one task's model, as the evaluator keeps them: the true and the predicted class of
 * every test image of tasks 0..task (class-order space), in test-set order.
 */
export interface StoredPredictions {
  task: number;
  labels: Int32Array;
  predictions: Int32Array;
}

/** The file on disk: class ids as little-endian int32, base64, so a CIFAR-100 task is tens of KiB. */
interface PredictionsFile {
  format: typeof PREDICTIONS_FORMAT;
  task: number;
  count: number;
  labels: string;
  predictions: string;
}

function toBase64(values: Int32Array): string {
  const bytes = Buffer.alloc(values.length * 4);
  values.forEach((v, k) => bytes.writeInt32LE(v, k * 4));
  return bytes.toString('base64');
}

function fromBase64(text: string, count: number, what: string): Int32Array {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length !== count * 4) throw new Error(`${what}: ${bytes.length} bytes for ${count} class ids`);
  return Int32Array.from({ length: count }, (_, k) => bytes.readInt32LE(k * 4));
}

export function encodePredictions({ task, labels, predictions }: StoredPredictions): Buffer {
  if (labels.length !== predictions.length)
    throw new RangeError(`${predictions.length} predictions for ${labels.length} labels`);
  const file: PredictionsFile = {
    format: PREDICTIONS_FORMAT,
    task,
    count: labels.length,
    labels: toBase64(labels),
    predictions: toBase64(predictions),
  };
  return Buffer.from(`${JSON.stringify(file)}\n`, 'utf8');
}

/** Decodes a stored predictions file; throws an Error naming what is wrong with it. */
export function decodePredictions(bytes: Buffer, key: string): StoredPredictions {
  let file: Partial<PredictionsFile>;
  try {
    file = JSON.parse(bytes.toString('utf8')) as Partial<PredictionsFile>;
  } catch (error) {
    throw new Error(`${key} is not JSON: ${(error as Error).message}`);
  }
  if (file.format !== PREDICTIONS_FORMAT)
    throw new Error(`${key} has format ${String(file.format)}, expected ${PREDICTIONS_FORMAT}`);
  const { task, count } = file;
  if (
    !Number.isSafeInteger(task) ||
    (task as number) < 0 ||
    !Number.isSafeInteger(count) ||
    (count as number) < 0
  )
    throw new Error(`${key}: task and count must be integers ≥ 0`);
  if (typeof file.labels !== 'string' || typeof file.predictions !== 'string')
    throw new Error(`${key}: labels and predictions must be base64 text`);
  return {
    task: task as number,
    labels: fromBase64(file.labels, count as number, `${key} labels`),
    predictions: fromBase64(file.predictions, count as number, `${key} predictions`),
  };
}

/** Stores a task's predictions; the same ones again are accepted, different ones are not. */
export async function putPredictions(
  store: ObjectStore,
  runId: string,
  value: StoredPredictions,
): Promise<void> {
  const key = predictionsKey(runId, value.task);
  const bytes = encodePredictions(value);
  if (await store.exists(key)) {
    if (!(await store.get(key)).equals(bytes))
      throw new AlreadyExistsError(
        key,
        `run ${runId} already has different predictions for task ${value.task}`,
      );
    return;
  }
  await store.put(key, bytes, { contentType: 'application/json' });
}

/** The stored predictions of task `task`, or undefined for a run evaluated before predictions were kept. */
export async function getPredictions(
  store: ObjectStore,
  runId: string,
  task: number,
): Promise<StoredPredictions | undefined> {
  const key = predictionsKey(runId, task);
  let bytes: Buffer;
  try {
    bytes = await store.get(key);
  } catch (error) {
    if (isArtifactError(error) && error.code === 'not_found') return undefined;
    throw error;
  }
  const stored = decodePredictions(bytes, key);
  if (stored.task !== task) throw new Error(`${key} holds the predictions of task ${stored.task}`);
  return stored;
}
