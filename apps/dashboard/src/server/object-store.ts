import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
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
