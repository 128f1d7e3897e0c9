import { createHash, randomUUID } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import {
  backboneUploadKey,
  getDataset,
  MinioObjectStore,
  readTrainHistory,
  type StoredDataset,
  type TrainHistoryPoint,
} from '@slca/artifacts';
import { Client } from 'minio';
import { config } from './config';

/** Raised when the bytes read from the store are not the ones the catalogue promised. */
export class DigestMismatchError extends Error {
  override name = 'DigestMismatchError';
}

interface Stores {
  store: MinioObjectStore;
  client: Client;
  bucket: string;
}

const STORES = Symbol.for('slca.dashboard.store');
type WithStores = typeof globalThis & { [STORES]?: Stores };

function stores(): Stores {
  const holder = globalThis as WithStores;
  if (holder[STORES]) return holder[STORES];
  const cfg = config().store;
  const client = new Client({
    endPoint: cfg.host,
    port: cfg.port,
    useSSL: cfg.useSSL,
    accessKey: cfg.accessKey,
    secretKey: cfg.secretKey,
    region: cfg.region,
    pathStyle: true,
  });
  holder[STORES] = { store: new MinioObjectStore(cfg), client, bucket: cfg.bucket };
  return holder[STORES];
}

/** The stage-1 steps the trainer recorded for a run (loss and learning rates), oldest first. */
export async function trainHistory(runId: string): Promise<TrainHistoryPoint[]> {
  return readTrainHistory(stores().store, runId);
}

/** A small object whole (logs, manifests). */
export async function readObject(key: string): Promise<Buffer> {
  return stores().store.get(key);
}

/**
 * Streams an object and checks it against `sha256` and `size` on the way. The last chunk is held back
 * until the digest is known: a mismatch errors the stream before the final bytes leave, so a client never
 * receives a complete body whose digest is wrong.
 */
export async function streamVerified(
  key: string,
  sha256: string,
  size: number,
): Promise<ReadableStream<Uint8Array>> {
  const { client, bucket } = stores();
  const source: Readable = await client.getObject(bucket, key);
  const hash = createHash('sha256');
  let received = 0;
  let pending: Uint8Array | undefined;
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await iterator.next();
      if (next.done) {
        const digest = hash.digest('hex');
        if (received !== size || digest !== sha256) {
          controller.error(
            new DigestMismatchError(
              `${key}: read ${received} bytes with sha256 ${digest}, expected ${size} bytes with sha256 ${sha256}`,
            ),
          );
          return;
        }
        if (pending) controller.enqueue(pending);
        controller.close();
        return;
      }
      const chunk = new Uint8Array(next.value);
      hash.update(chunk);
      received += chunk.length;
      if (pending) controller.enqueue(pending);
      pending = chunk;
    },
    cancel() {
      source.destroy();
    },
  });
}

const DATASETS = Symbol.for('slca.dashboard.datasets');
type WithDatasets = typeof globalThis & { [DATASETS]?: Map<string, Promise<StoredDataset>> };

/** A registered dataset's manifest and verified file reader (datasets are immutable, so kept once read). */
export function storedDataset(name: string): Promise<StoredDataset> {
  const holder = globalThis as WithDatasets;
  const cache = (holder[DATASETS] ??= new Map());
  let entry = cache.get(name);
  if (!entry) {
    entry = getDataset(stores().store, name);
    entry.catch(() => cache.delete(name));
    cache.set(name, entry);
  }
  return entry;
}

/** Raised when an upload is larger than the dashboard accepts. */
export class UploadTooLargeError extends Error {
  override name = 'UploadTooLargeError';
}

/**
 * Streams a weights file into the object store under uploads/backbones/<fresh id>/<file> for the splitter to
 * register, hashing it on the way (never held whole in memory). Returns the object's key, size and SHA-256;
 * an upload above `maxBytes` is aborted and removed.
 */
export async function putBackboneUpload(
  body: ReadableStream<Uint8Array>,
  length: number,
  file: string,
  maxBytes: number,
): Promise<{ key: string; size: number; sha256: string }> {
  const { client, bucket, store } = stores();
  const key = backboneUploadKey(randomUUID().replaceAll('-', ''), file);
  const hash = createHash('sha256');
  if (length > maxBytes) throw new UploadTooLargeError(`the file is larger than ${maxBytes} bytes`);
  let size = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > maxBytes) return done(new UploadTooLargeError(`the file is larger than ${maxBytes} bytes`));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const source = Readable.fromWeb(body as import('node:stream/web').ReadableStream<Uint8Array>);
  source.on('error', (error) => counted.destroy(error));
  try {
    // With its length known, a file up to the client's part size is one PUT (the local S3 server has no
    // streaming uploads); larger ones are multipart uploads, which MinIO takes.
    await client.putObject(bucket, key, source.pipe(counted), length);
  } catch (error) {
    await store.remove(key).catch(() => undefined);
    throw error;
  }
  if (size !== length) {
    await store.remove(key).catch(() => undefined);
    throw new UploadTooLargeError(`the body has ${size} bytes, Content-Length says ${length}`);
  }
  return { key, size, sha256: hash.digest('hex') };
}
