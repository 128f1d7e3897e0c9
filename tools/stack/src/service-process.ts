import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { ServiceError } from '@grpc/grpc-js';
import { MinioObjectStore, startLocalS3, STORE_ENV, type LocalS3 } from '@slca/artifacts';
import { SERVICE_DEFINITIONS } from '@slca/contracts/grpc';
import {
  AUTHORISATION,
  createServiceClient,
  methodPath,
  testCertificates,
  type CertificateFolder,
  type Identity,
  type ServiceClient,
  type ServiceDefinition,
} from '@slca/service-kit';

/** The workspace whose services are run: beside these sources, or the current directory (bundled CLI). */
export const REPO_ROOT =
  [resolve(__dirname, '..', '..', '..'), process.cwd()].find((dir) =>
    existsSync(join(dir, 'apps/trainer/src/main.ts')),
  ) ?? process.cwd();

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  /** `host:port` the service logged when it started listening (mutual TLS). */
  address: string;
  /** `host:port` of its plain-text health port, when it was started with SLCA_HEALTH_PORT. */
  healthAddress?: string;
  /** Every JSON line the service logged so far. */
  lines: Record<string, unknown>[];
  /** Settles with the exit code, or the signal's name, when the process ends. */
  exited: Promise<number | string>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | string>;
}

export interface SpawnOptions {
  env?: Record<string, string>;
  /** Receives every line the process writes (stdout and stderr). */
  onLog?: (line: string) => void;
  startTimeoutMs?: number;
}

/**
 * Runs `apps/<app>/src/main.ts` as its own Node process through tsx (with the workspace tsconfig, which
 * the services' Nest decorators need) and resolves once it logs `{"msg":"listening","address":…}`.
 */
export async function spawnService(app: string, options: SpawnOptions = {}): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, `apps/${app}/src/main.ts`)], {
    cwd: REPO_ROOT,
    env: { ...process.env, TSX_TSCONFIG_PATH: join(REPO_ROOT, 'tsconfig.base.json'), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | string>((done) =>
    child.once('exit', (code, signal) => done(code ?? signal ?? 'unknown')),
  );
  const lines: Record<string, unknown>[] = [];
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  let healthAddress: string | undefined;
  const address = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`${app} did not start within ${timeoutMs} ms`)), timeoutMs);
    const tail: string[] = [];
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        options.onLog?.(line);
        tail.push(line);
        if (tail.length > 30) tail.shift();
        let record: Record<string, unknown> | undefined;
        try {
          record = JSON.parse(line) as Record<string, unknown>;
        } catch {
          return;
        }
        lines.push(record);
        if (record.msg === 'listening') {
          clearTimeout(timer);
          if (typeof record.healthAddress === 'string') healthAddress = record.healthAddress;
          ok(String(record.address));
        }
      });
    }
    void exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`${app} exited (${code}) before listening:\n${tail.join('\n')}`));
    });
  });
  return {
    name: app,
    child,
    address,
    healthAddress,
    lines,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

export interface ObjectStoreFixture {
  s3: LocalS3;
  store: MinioObjectStore;
  directory: string;
  /** The SLCA_S3_* variables a service needs to use this store. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** A real S3 server (s3rver child) in a fresh temporary directory, with the bucket created. */
export async function startObjectStore(label = 'slca'): Promise<ObjectStoreFixture> {
  const directory = mkdtempSync(join(tmpdir(), `${label}-`));
  const s3 = await startLocalS3({ directory: join(directory, 's3') });
  const store = new MinioObjectStore(s3.config);
  await store.ensureBucket();
  return {
    s3,
    store,
    directory,
    env: {
      [STORE_ENV.endpoint]: s3.endpoint,
      [STORE_ENV.accessKey]: s3.accessKey,
      [STORE_ENV.secretKey]: s3.secretKey,
      [STORE_ENV.bucket]: s3.config.bucket,
    },
    close: async () => {
      await s3.stop();
      rmSync(directory, { recursive: true, force: true });
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

/** The gRPC service each app serves, and the variable that sets its port. */
export const SERVICE_CONTRACTS = {
  splitter: { definition: SERVICE_DEFINITIONS.splitter, portEnv: 'SLCA_SPLITTER_PORT' },
  trainer: { definition: SERVICE_DEFINITIONS.trainer, portEnv: 'SLCA_TRAINER_PORT' },
  'stats-store': { definition: SERVICE_DEFINITIONS.statistics, portEnv: 'SLCA_STATS_STORE_PORT' },
  evaluator: { definition: SERVICE_DEFINITIONS.evaluator, portEnv: 'SLCA_EVALUATOR_PORT' },
} as const;
type Contracts = typeof SERVICE_CONTRACTS;
export type ServiceApp = keyof Contracts;

export interface ServiceUnderTest<A extends ServiceApp = ServiceApp> extends ServiceProcess {
  /**
   * A client of the app's service (deadline `deadlineMs`), closed by `stop()`: each method is called as
   * the first identity the authorisation table lets call it (see {@link tableClient}).
   */
  client: ServiceClient<Contracts[A]['definition']>;
  /** The certificates the service and its clients use. */
  certificates: CertificateFolder;
  /** Its plain-text health port (always started under test). */
  healthAddress: string;
}

/**
 * A client of one service for tests that exercise every method: each method goes over a channel holding
 * the certificate of the first identity the authorisation table allows for it (the operator for a path
 * import, the trainer for statistics, the CLI for runs), so every call still passes the server's real
 * check. A method the table does not list is called as `cli` and refused.
 */
export function tableClient<S extends ServiceDefinition>(
  definition: S,
  address: string,
  certificates: CertificateFolder,
  deadlineMs = 30_000,
): ServiceClient<S> {
  const channels = new Map<Identity, ServiceClient<S>>();
  const channel = (identity: Identity) => {
    let client = channels.get(identity);
    if (!client) {
      client = createServiceClient(definition, {
        address,
        deadlineMs,
        credentials: certificates.credentials(identity),
      });
      channels.set(identity, client);
    }
    return client;
  };
  const client: Record<string, unknown> = {
    address,
    serviceName: definition.fullName,
    waitForReady: (ms?: number) => channel('cli').waitForReady(ms),
    close: () => {
      for (const c of channels.values()) c.close();
      channels.clear();
    },
  };
  for (const key of Object.keys(definition.methods)) {
    const identity = AUTHORISATION.get(methodPath(definition, key))?.callers[0] ?? 'cli';
    client[key] = (...args: unknown[]) =>
      (channel(identity) as unknown as Record<string, (...a: unknown[]) => unknown>)[key](...args);
  }
  return client as ServiceClient<S>;
}

/**
 * One service as its own process on a free port, using `store`, with a client for it: what every
 * service's tests start with. `stop()` closes the client, sends SIGTERM and gives the exit code.
 */
export async function startServiceUnderTest<A extends ServiceApp>(
  app: A,
  store: ObjectStoreFixture,
  deadlineMs = 30_000,
): Promise<ServiceUnderTest<A>> {
  const contract = SERVICE_CONTRACTS[app];
  const certificates = await testCertificates();
  // A splitter under test reads fixtures from the temporary folder and the workspace, unless told otherwise.
  const roots: Record<string, string> =
    app === 'splitter' ? { SLCA_DATASET_ROOTS: [tmpdir(), REPO_ROOT].join(delimiter) } : {};
  const process = await spawnService(app, {
    env: { [contract.portEnv]: '0', SLCA_HEALTH_PORT: '0', ...roots, ...certificates.env(app), ...store.env },
  });
  const client = tableClient(
    contract.definition as Contracts[A]['definition'],
    process.address,
    certificates,
    deadlineMs,
  );
  return {
    ...process,
    healthAddress: String(process.healthAddress),
    certificates,
    client,
    stop: () => {
      client.close();
      return process.stop();
    },
  };
}
