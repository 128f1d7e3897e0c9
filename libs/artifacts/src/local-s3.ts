import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { StoreConfig } from './config';

/** The program the child runs; ships as a plain CommonJS file so no build step or loader is needed. */
export const LOCAL_S3_CHILD_SCRIPT = 's3rver-child.cjs';

export interface LocalS3Options {
  /** Where the server keeps buckets and objects; created when missing. */
  directory: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default: a fresh random key per server. */
  accessKey?: string;
  /** Default: a fresh random secret per server. */
  secretKey?: string;
  /** The bucket the returned `config` names; default `slca`. It is not created: see `MinioObjectStore.ensureBucket`. */
  bucket?: string;
  /** Overrides where the child script is looked for (e.g. by a bundle that copies it elsewhere). */
  childScript?: string;
  /** How long the child may take to listen. */
  startTimeoutMs?: number;
}

export interface LocalS3 {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  port: number;
  accessKey: string;
  secretKey: string;
  /** Ready-made configuration for `MinioObjectStore`. */
  config: StoreConfig;
  /** The child's process id. */
  pid: number;
  /** Settles with the child's exit code (null when a signal ended it) whenever it ends, asked to or not. */
  exited: Promise<number | null>;
  /**
   * Closes the server and waits for the child to exit; resolves with its exit code (0 after a clean
   * shutdown; null when it had to be killed). Safe to call more than once.
   */
  stop(): Promise<number | null>;
}

/**
 * Where the child script is: beside the lib's sources (`src/` → `../bin/`, also under tsx), next to a
 * bundle that copies it beside its output (as the CLI bundle does with the engine's assets), or in the
 * workspace a bundle is run from.
 */
export function localS3ChildScript(): string {
  const candidates = [
    join(__dirname, '..', 'bin', LOCAL_S3_CHILD_SCRIPT),
    join(__dirname, 'bin', LOCAL_S3_CHILD_SCRIPT),
    join(__dirname, LOCAL_S3_CHILD_SCRIPT),
    join(process.cwd(), 'libs', 'artifacts', 'bin', LOCAL_S3_CHILD_SCRIPT),
  ];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (found === undefined) {
    throw new Error(`cannot find ${LOCAL_S3_CHILD_SCRIPT}; looked in ${candidates.join(', ')}`);
  }
  return found;
}

type ChildMessage = { type: 'ready'; port: number } | { type: 'failed'; message: string };

const STDERR_TAIL_BYTES = 8192;

/**
 * Starts an S3-compatible server (@20minutes/s3rver) as a separate child process on 127.0.0.1. It checks
 * V4 signatures against the given keys only, and refuses unsigned (anonymous) requests.
 */
export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  const directory = resolve(options.directory);
  mkdirSync(directory, { recursive: true });
  const accessKey = options.accessKey ?? `local-${randomBytes(8).toString('hex')}`;
  const secretKey = options.secretKey ?? randomBytes(24).toString('base64url');
  const script = options.childScript ?? localS3ChildScript();

  const child = fork(script, [], {
    execPath: process.execPath,
    // The child is plain CommonJS: loader flags meant for TypeScript sources (tsx, vitest) stay here.
    execArgv: [],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL_BYTES);
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  // Should the parent exit without calling stop(), take the server down with it.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  // A child that ends by itself (killed, crashed) needs no killing at exit: restarts leave no listeners behind.
  void exited.then(() => process.removeListener('exit', killOnExit));

  let port: number;
  try {
    port = await awaitReady(child, exited, options, { accessKey, secretKey, directory }, () => stderr);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    process.removeListener('exit', killOnExit);
    throw error;
  }

  const endpoint = `http://127.0.0.1:${port}`;
  const config = StoreConfig.from({ endpoint, accessKey, secretKey, bucket: options.bucket });
  let stopped: Promise<number | null> | undefined;
  const stop = (): Promise<number | null> => {
    stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        if (child.connected) child.send({ type: 'stop' });
        else child.kill('SIGTERM');
      }
      const code = await withTimeout(exited, 10_000, () => child.kill('SIGKILL'));
      process.removeListener('exit', killOnExit);
      return code;
    })();
    return stopped;
  };
  if (child.pid === undefined) throw new Error('the local S3 child has no pid');
  return { endpoint, port, accessKey, secretKey, config, pid: child.pid, exited, stop };
}

function awaitReady(
  child: ChildProcess,
  exited: Promise<number | null>,
  options: LocalS3Options,
  secrets: { accessKey: string; secretKey: string; directory: string },
  stderr: () => string,
): Promise<number> {
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  return new Promise<number>((resolveReady, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`local S3 server did not start within ${timeoutMs} ms\n${stderr()}`)),
      timeoutMs,
    );
    const settle = (): void => clearTimeout(timer);
    child.on('message', (message: ChildMessage) => {
      settle();
      if (message.type === 'ready') resolveReady(message.port);
      else reject(new Error(`local S3 server failed to start: ${message.message}`));
    });
    child.once('error', (error) => {
      settle();
      reject(error);
    });
    void exited.then((code) => {
      settle();
      reject(new Error(`local S3 server exited (code ${code}) before it was ready\n${stderr()}`));
    });
    child.send({
      type: 'start',
      directory: secrets.directory,
      port: options.port ?? 0,
      accessKey: secrets.accessKey,
      secretKey: secrets.secretKey,
    });
  });
}

async function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => void): Promise<T> {
  const timer = setTimeout(onTimeout, ms);
  try {
    return await promise;
  } finally {
    clearTimeout(timer);
  }
}
