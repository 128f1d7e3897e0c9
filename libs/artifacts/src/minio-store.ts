import { Client } from 'minio';
import type { Readable } from 'node:stream';
import type { StoreConfig } from './config';
import {
  type ArtifactError,
  InvalidArgumentError,
  isArtifactError,
  NotFoundError,
  ObjectStoreError,
} from './errors';
import { type ObjectInfo, type ObjectStore, type PutOptions, validateKey, validatePrefix } from './store';

/**
 * Objects up to this size go up in one PUT. It is also the client's `partSize`: minio-js switches to a
 * multipart upload only for objects larger than its part size (default 64 MiB), and a multipart upload
 * starts with ListMultipartUploads, which the npm S3 servers used locally do not implement. 5 GiB is
 * S3's own single-PUT ceiling and the largest part size minio-js accepts, so every object this store
 * writes is one PUT; anything larger is refused before a byte is sent.
 */
export const SINGLE_PUT_LIMIT_BYTES = 5 * 1024 * 1024 * 1024;

const NOT_FOUND_CODES = new Set(['NoSuchKey', 'NotFound']);
const DENIED_CODES = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidToken',
  'ExpiredToken',
  'RequestTimeTooSkewed',
]);
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'SlowDown',
  'ServiceUnavailable',
]);

/** Network failures that a fresh connection usually cures (a keep-alive socket the server just closed). */
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNREFUSED',
  'SlowDown',
  'ServiceUnavailable',
]);

/** Pauses before the 2nd, 3rd and 4th attempt. */
export const TRANSIENT_RETRY_DELAYS_MS = [50, 250, 1_000] as const;

/**
 * Runs a store operation, retrying it on transient network failures. Every operation of this store is
 * idempotent (whole-object PUT, GET, HEAD, LIST, DELETE), so repeating one is safe.
 */
export async function withTransientRetry<T>(
  operation: () => Promise<T>,
  delaysMs: readonly number[] = TRANSIENT_RETRY_DELAYS_MS,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      const code = errorCode(error) ?? (/socket hang up/.test(String(error)) ? 'ECONNRESET' : undefined);
      if (attempt >= delaysMs.length || code === undefined || !TRANSIENT_CODES.has(code)) throw error;
      await new Promise((done) => setTimeout(done, delaysMs[attempt]));
    }
  }
}

/** The object store over the real `minio` client: MinIO in production, an S3-compatible npm server locally. */
export class MinioObjectStore implements ObjectStore {
  readonly bucket: string;
  readonly description: string;
  private readonly client: Client;

  constructor(config: StoreConfig) {
    this.bucket = config.bucket;
    this.description = `${config.endpoint}/${config.bucket}`;
    this.client = new Client({
      endPoint: config.host,
      port: config.port,
      useSSL: config.useSSL,
      accessKey: config.accessKey,
      secretKey: config.secretKey,
      // A known region spares a GetBucketLocation round trip before the first request.
      region: config.region,
      pathStyle: true,
      partSize: SINGLE_PUT_LIMIT_BYTES,
    });
  }

  /**
   * Creates the bucket when it is missing and reports whether it did. No bucket policy is set, so the
   * bucket stays private: every request must be signed with the configured keys.
   */
  async ensureBucket(): Promise<boolean> {
    try {
      if (await this.client.bucketExists(this.bucket)) return false;
      await this.client.makeBucket(this.bucket);
      return true;
    } catch (error) {
      // Two processes booting together may both see the bucket missing.
      if (errorCode(error) === 'BucketAlreadyOwnedByYou') return false;
      throw storeError('create bucket', this.bucket, error);
    }
  }

  async put(key: string, body: Uint8Array, options: PutOptions = {}): Promise<void> {
    validateKey(key);
    if (body.length > SINGLE_PUT_LIMIT_BYTES) {
      throw new InvalidArgumentError(
        'body',
        `${body.length} bytes`,
        `objects above ${SINGLE_PUT_LIMIT_BYTES} bytes would need a multipart upload; split them into files`,
      );
    }
    const buffer = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    const headers = { 'Content-Type': options.contentType ?? 'application/octet-stream' };
    try {
      await withTransientRetry(() => this.client.putObject(this.bucket, key, buffer, buffer.length, headers));
    } catch (error) {
      throw storeError('put', key, error);
    }
  }

  async get(key: string): Promise<Buffer> {
    validateKey(key);
    try {
      return await withTransientRetry(async () => readAll(await this.client.getObject(this.bucket, key)));
    } catch (error) {
      throw storeError('get', key, error);
    }
  }

  async stat(key: string): Promise<ObjectInfo> {
    validateKey(key);
    try {
      const stat = await withTransientRetry(() => this.client.statObject(this.bucket, key));
      return { key, size: stat.size, lastModified: stat.lastModified };
    } catch (error) {
      throw storeError('stat', key, error);
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.stat(key);
      return true;
    } catch (error) {
      if (isArtifactError(error) && error.code === 'not_found') return false;
      throw error;
    }
  }

  async list(prefix: string): Promise<string[]> {
    validatePrefix(prefix);
    try {
      return await withTransientRetry(async () => {
        const keys: string[] = [];
        // ListObjects (v1, marker paging): s3rver answers 500 to ListObjectsV2's continuation request, so
        // v2 breaks past 1,000 keys locally; MinIO serves both.
        for await (const item of this.client.listObjects(this.bucket, prefix, true)) {
          if (typeof item.name === 'string') keys.push(item.name);
        }
        return keys.sort();
      });
    } catch (error) {
      throw storeError('list', prefix, error);
    }
  }

  async remove(key: string): Promise<void> {
    validateKey(key);
    try {
      await withTransientRetry(() => this.client.removeObject(this.bucket, key));
    } catch (error) {
      const mapped = storeError('remove', key, error);
      if (mapped.code !== 'not_found') throw mapped;
    }
  }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function storeError(operation: string, key: string, error: unknown): ArtifactError {
  if (isArtifactError(error)) return error;
  const code = errorCode(error);
  const detail = error instanceof Error ? error.message : String(error);
  if (code !== undefined && NOT_FOUND_CODES.has(code)) return new NotFoundError(key);
  if (code === 'NoSuchBucket') {
    return new ObjectStoreError('internal', operation, key, code, {
      cause: error,
      detail: 'the bucket does not exist (create it at deployment or with ensureBucket)',
    });
  }
  if (code !== undefined && DENIED_CODES.has(code)) {
    return new ObjectStoreError('permission_denied', operation, key, code, { cause: error, detail });
  }
  if (code !== undefined && UNREACHABLE_CODES.has(code)) {
    return new ObjectStoreError('unavailable', operation, key, code, { cause: error, detail });
  }
  return new ObjectStoreError('internal', operation, key, code, { cause: error, detail });
}
