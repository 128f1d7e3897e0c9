import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalS3, MinioObjectStore, startLocalS3 } from '../src';

export interface S3Fixture {
  s3: LocalS3;
  store: MinioObjectStore;
  directory: string;
  close(): Promise<void>;
}

/** A real s3rver child on a free port, storing in a fresh temporary directory, with the bucket created. */
export async function startS3Fixture(): Promise<S3Fixture> {
  const directory = mkdtempSync(join(tmpdir(), 'slca-artifacts-'));
  const s3 = await startLocalS3({ directory: join(directory, 'data') });
  const store = new MinioObjectStore(s3.config);
  await store.ensureBucket();
  return {
    s3,
    store,
    directory,
    close: async () => {
      await s3.stop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
