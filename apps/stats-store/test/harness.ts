import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ServiceError } from '@grpc/grpc-js';
import { MinioObjectStore, startLocalS3, type LocalS3 } from '@slca/artifacts';

const workspace = join(__dirname, '../../..');

export interface Stack {
  s3: LocalS3;
  store: MinioObjectStore;
  directory: string;
  close(): Promise<void>;
}

/** A real S3 server (s3rver child) in a fresh temporary directory, with the bucket created. */
export async function startStack(): Promise<Stack> {
  const directory = mkdtempSync(join(tmpdir(), 'slca-stats-store-'));
  const s3 = await startLocalS3({ directory: join(directory, 's3') });
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

export interface ServiceProcess {
  child: ChildProcess;
  address: string;
  /** Every JSON line the service logged. */
  lines: Record<string, unknown>[];
  exited: Promise<number | null>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** Runs `apps/<app>/src/main.ts` through tsx as its own process and waits for its `listening` line. */
export async function spawnService(app: string, env: Record<string, string>): Promise<ServiceProcess> {
  const child = spawn(
    join(workspace, 'node_modules/.bin/tsx'),
    ['--tsconfig', join(workspace, 'tsconfig.base.json'), join(workspace, 'apps', app, 'src/main.ts')],
    { cwd: workspace, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stdout = child.stdout;
  if (!stdout) throw new Error('the child has no stdout pipe');
  const address = await new Promise<string>((resolve, reject) => {
    createInterface({ input: stdout }).on('line', (line) => {
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      lines.push(record);
      if (record.msg === 'listening') resolve(String(record.address));
    });
    void exited.then((code) =>
      reject(new Error(`${app} exited with ${code} before listening:\n${stderr}\n${JSON.stringify(lines)}`)),
    );
  });
  return {
    child,
    address,
    lines,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** The error a call failed with; fails the test when it succeeded. */
export async function failure(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as ServiceError;
  }
  throw new Error('expected the call to fail');
}

/** The value of an optional message field, failing the test when the service left it out. */
export function present<T>(value: T | undefined | null, what = 'field'): T {
  if (value === undefined || value === null) throw new Error(`expected ${what} in the response`);
  return value;
}
