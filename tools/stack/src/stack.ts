import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { startLocalS3, STORE_ENV, type LocalS3 } from '@slca/artifacts';
import {
  ensureCertificates,
  type CertificateFolder,
  type ClientIdentity,
  type Identity,
} from '@slca/service-kit';
import type { ChannelCredentials } from '@grpc/grpc-js';
import {
  dashboardBuilt,
  dashboardEnv,
  startDashboard,
  type DashboardCredentials,
  type DashboardProcess,
} from './dashboard';
import { REPO_ROOT, SERVICE_CONTRACTS, spawnService, type ServiceProcess } from './service-process';

/** The four services, in start order (the trainer needs the others' addresses). */
export const SERVICES = ['splitter', 'stats-store', 'evaluator', 'trainer'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** Every process the stack runs and supervises: the object store and the four services. */
export type StackProcess = ServiceName | 'object-store';

/** Restart pauses of a process that died: doubling from `initialMs` up to `maxMs`, as Kubernetes does. */
export interface RestartBackoff {
  initialMs: number;
  maxMs: number;
  /** A process up this long before it died starts again from `initialMs`. */
  resetAfterMs: number;
}

export const DEFAULT_RESTART_BACKOFF: RestartBackoff = {
  initialMs: 1_000,
  maxMs: 30_000,
  resetAfterMs: 60_000,
};

/** The file in the state folder that keeps the object store's keys, so a restarted store takes the same ones. */
export const STORE_KEYS_FILE = 'object-store-keys.json';

/**
 * The object store's access and secret key, made once per state folder and read back on every start
 * (file mode 0600; never logged): the store, and each process alone, can be restarted with the keys the
 * others hold.
 */
export function storeKeys(dataDir: string): { accessKey: string; secretKey: string } {
  const file = join(dataDir, STORE_KEYS_FILE);
  if (existsSync(file)) {
    const keys = JSON.parse(readFileSync(file, 'utf8')) as { accessKey?: unknown; secretKey?: unknown };
    if (typeof keys.accessKey !== 'string' || typeof keys.secretKey !== 'string' || !keys.accessKey)
      throw new Error(`${file} does not hold the object store's keys; remove it to make new ones`);
    return { accessKey: keys.accessKey, secretKey: keys.secretKey };
  }
  mkdirSync(dataDir, { recursive: true });
  const keys = {
    accessKey: `local-${randomBytes(8).toString('hex')}`,
    secretKey: randomBytes(24).toString('base64url'),
  };
  writeFileSync(file, JSON.stringify(keys), { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return keys;
}

/**
 * The folder in the state folder that keeps the stack's private CA and a certificate per service and per
 * client (keys mode 0600, never logged), made at the first start and reused by every later one.
 */
export const TLS_DIR = 'tls';

/** Default ports of the local stack; the CLI's `--remote` looks for the trainer on its port. */
export const DEFAULT_PORTS: Record<ServiceName, number> = {
  splitter: 50051,
  trainer: 50052,
  'stats-store': 50053,
  evaluator: 50054,
};

export interface StackOptions {
  /** Where the object store keeps its data (the stack's state survives restarts in it). */
  dataDir: string;
  /** Ports per service; 0 picks a free one. Default: all 0. */
  ports?: Partial<Record<ServiceName, number>>;
  s3Port?: number;
  /** Extra environment for every service (e.g. SLCA_CHECKPOINT_EVERY, SLCA_TRAINER_WORKERS). */
  env?: Record<string, string>;
  /** Receives every log line of every process, prefixed with its name. */
  onLog?: (service: ServiceName, line: string) => void;
  startTimeoutMs?: number;
  /** Also start the built dashboard with these credentials (port 0: a free one). */
  dashboard?: DashboardCredentials & { port?: number };
  /**
   * Folders the splitter may import datasets and weights from (its SLCA_DATASET_ROOTS). Default: the
   * variable from this environment when set, else the user's home folder, the temporary folder and the
   * workspace (a local stack serves its own user; in Kubernetes the operator names the mounted volumes).
   */
  datasetRoots?: readonly string[];
  /** Restart a process that dies (default true), on the port it had, after these pauses. */
  supervise?: boolean;
  restartBackoff?: Partial<RestartBackoff>;
  /** Hears what the supervisor does ("trainer exited (SIGKILL); restarting in 1 s"). */
  onSupervisor?: (message: string) => void;
}

/**
 * The local stack as real processes on 127.0.0.1: an S3-compatible server (s3rver, our keys, no anonymous
 * access) and the splitter, statistics store, evaluator and trainer, each its own Node process running its
 * sources through tsx. Used by `npm start` and by the end-to-end tests.
 *
 * It supervises them as Kubernetes does a Deployment's pods: a process that dies (other than by `kill` or
 * `stop`) is started again on the same port and with the same keys, after a pause that doubles with each
 * quick death (1 s up to 30 s by default). The object store's keys live in the state folder.
 */
export class Stack {
  /** The dashboard, when it was asked for and is built. */
  dashboard?: DashboardProcess;
  /** Every death of a process not asked for (by `kill` or `stop`), in order: which and how it ended. */
  readonly deaths: { name: StackProcess; code: number | string | null }[] = [];
  /** Ports each service got at its first start, kept by its restarts (the others hold its address). */
  private readonly assignedPorts = new Map<ServiceName, number>();
  /** The extra environment each service last started with, for its restarts. */
  private readonly lastEnv = new Map<ServiceName, Record<string, string>>();
  /** Processes taken down on purpose (`kill`): not restarted. */
  private readonly held = new Set<StackProcess>();
  private readonly restarts = new Map<
    StackProcess,
    { failures: number; startedAt: number; cancel?: () => void }
  >();
  private stopping = false;

  private constructor(
    readonly options: StackOptions,
    public s3: LocalS3,
    readonly services: Map<ServiceName, ServiceProcess>,
    /** The stack's CA and certificates (in the state folder's `tls/`). */
    readonly certificates: CertificateFolder,
  ) {
    this.watchStore(s3);
  }

  static async start(options: StackOptions): Promise<Stack> {
    const s3 = await startLocalS3({
      directory: join(options.dataDir, 's3'),
      port: options.s3Port ?? 0,
      ...storeKeys(options.dataDir),
    });
    const certificates = await ensureCertificates(join(options.dataDir, TLS_DIR));
    const stack = new Stack(options, s3, new Map(), certificates);
    try {
      for (const name of SERVICES) await stack.startService(name);
      const { dashboard } = options;
      if (dashboard && dashboardBuilt())
        stack.dashboard = await startDashboard(dashboardEnv(stack, dashboard), { port: dashboard.port });
    } catch (error) {
      await stack.stop();
      throw error;
    }
    return stack;
  }

  /** The environment a client of the object store needs (the same credentials the services use). */
  get storeEnv(): Record<string, string> {
    return {
      [STORE_ENV.endpoint]: this.s3.endpoint,
      [STORE_ENV.accessKey]: this.s3.accessKey,
      [STORE_ENV.secretKey]: this.s3.secretKey,
    };
  }

  /** Client credentials of one of the stack's identities (the CLI's, the operator's, the dashboard's…). */
  credentials(identity: ClientIdentity | Identity = 'cli'): ChannelCredentials {
    return this.certificates.credentials(identity);
  }

  address(name: ServiceName): string {
    const s = this.services.get(name);
    if (!s) throw new Error(`${name} is not running`);
    return s.address;
  }

  /** The folders the splitter reads from (see `StackOptions.datasetRoots`). */
  get datasetRoots(): readonly string[] {
    const fromEnv = process.env.SLCA_DATASET_ROOTS;
    return (
      this.options.datasetRoots ?? (fromEnv ? fromEnv.split(delimiter) : [homedir(), tmpdir(), REPO_ROOT])
    );
  }

  /** Starts (or restarts) one service; resolves once it logs that it is listening. */
  async startService(name: ServiceName, extraEnv: Record<string, string> = {}): Promise<ServiceProcess> {
    this.held.delete(name);
    this.lastEnv.set(name, extraEnv);
    const port = this.options.ports?.[name] || this.assignedPorts.get(name) || 0;
    const peers: Record<string, string> =
      name === 'trainer'
        ? {
            SLCA_SPLITTER_ADDRESS: this.address('splitter'),
            SLCA_STATS_STORE_ADDRESS: this.address('stats-store'),
            SLCA_EVALUATOR_ADDRESS: this.address('evaluator'),
          }
        : name === 'splitter'
          ? { SLCA_DATASET_ROOTS: this.datasetRoots.join(delimiter) }
          : {};
    const service = await spawnService(name, {
      env: {
        ...this.storeEnv,
        ...this.certificates.env(name),
        ...peers,
        [SERVICE_CONTRACTS[name].portEnv]: String(port),
        ...this.options.env,
        ...extraEnv,
      },
      onLog: (line) => this.options.onLog?.(name, line),
      startTimeoutMs: this.options.startTimeoutMs,
    });
    this.assignedPorts.set(name, Number(service.address.split(':').at(-1)));
    this.services.set(name, service);
    this.track(name);
    void service.exited.then((code) => {
      if (this.services.get(name) === service) this.died(name, code);
    });
    return service;
  }

  /**
   * Sends a signal to one process and waits for it to end; the exit code, or the signal's name (the
   * object store: its exit code, null for a signal). It stays down (the supervisor leaves it) until
   * `startService`, or `startObjectStore` for the store.
   */
  async kill(name: ServiceName, signal: NodeJS.Signals): Promise<number | string>;
  async kill(name: 'object-store', signal: NodeJS.Signals): Promise<number | null>;
  async kill(name: StackProcess, signal: NodeJS.Signals): Promise<number | string | null> {
    if (name === 'object-store') {
      this.held.add(name);
      const exited = this.s3.exited;
      if (isAlive(this.s3.pid)) process.kill(this.s3.pid, signal);
      return exited;
    }
    const s = this.services.get(name);
    if (!s) throw new Error(`${name} is not running`);
    this.held.add(name);
    s.child.kill(signal);
    const code = await s.exited;
    this.services.delete(name);
    return code;
  }

  /**
   * Sends a signal to a process as an outside fault would (SIGKILL, SIGSTOP, SIGCONT): the supervisor
   * restarts it if it dies. Returns the pid signalled.
   */
  signal(name: StackProcess, signal: NodeJS.Signals): number {
    const pid = name === 'object-store' ? this.s3.pid : this.services.get(name)?.child.pid;
    if (pid === undefined) throw new Error(`${name} is not running`);
    process.kill(pid, signal);
    return pid;
  }

  /**
   * Settles with how the process now running as `name` ends (exit code, or the signal's name; the object
   * store gives null for a signal), whenever that is. Await it after a fault's signal, then `running`, to
   * wait for the supervisor's restart.
   */
  exited(name: StackProcess): Promise<number | string | null> {
    if (name === 'object-store') return this.s3.exited;
    const s = this.services.get(name);
    if (!s) throw new Error(`${name} is not running`);
    return s.exited;
  }

  /** Resolves once `name` runs again after a death (its restart listening), or at once when it runs. */
  async running(name: StackProcess): Promise<void> {
    for (;;) {
      const pending = this.restarts.get(name);
      const alive =
        name === 'object-store'
          ? isAlive(this.s3.pid)
          : (this.services.get(name)?.child.exitCode ?? null) === null &&
            (this.services.get(name)?.child.signalCode ?? null) === null;
      if (alive && !pending?.cancel) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private track(name: StackProcess): void {
    const entry = this.restarts.get(name) ?? { failures: 0, startedAt: 0 };
    entry.startedAt = Date.now();
    entry.cancel = undefined;
    this.restarts.set(name, entry);
  }

  /** A process ended without being asked to: start it again after its backoff. */
  private died(name: StackProcess, code: number | string | null): void {
    if (this.stopping || this.held.has(name)) return;
    if (code !== 'failed to start') this.deaths.push({ name, code });
    if (this.options.supervise === false) return;
    const backoff = { ...DEFAULT_RESTART_BACKOFF, ...this.options.restartBackoff };
    const entry = this.restarts.get(name) ?? { failures: 0, startedAt: 0 };
    if (Date.now() - entry.startedAt >= backoff.resetAfterMs) entry.failures = 0;
    const delay = Math.min(backoff.maxMs, backoff.initialMs * 2 ** entry.failures);
    entry.failures += 1;
    this.options.onSupervisor?.(`${name} exited (${code ?? 'signal'}); restarting in ${delay / 1000} s`);
    const timer = setTimeout(() => void this.restart(name), delay);
    entry.cancel = () => clearTimeout(timer);
    this.restarts.set(name, entry);
  }

  /**
   * Starts the object store again (after `kill`) on its port, with its keys and its data; resolves once
   * it listens.
   */
  async startObjectStore(): Promise<LocalS3> {
    this.held.delete('object-store');
    const s3 = await startLocalS3({
      directory: join(this.options.dataDir, 's3'),
      port: this.s3.port,
      ...storeKeys(this.options.dataDir),
    });
    this.s3 = s3;
    this.watchStore(s3);
    return s3;
  }

  private async restart(name: StackProcess): Promise<void> {
    if (this.stopping || this.held.has(name)) return;
    try {
      if (name === 'object-store') {
        await this.startObjectStore();
      } else {
        await this.startService(name, this.lastEnv.get(name));
      }
      this.options.onSupervisor?.(`${name} restarted`);
    } catch (error) {
      // It died again before it was up (a port not yet free, a dependency not back): back off further.
      this.options.onSupervisor?.(`${name} did not start: ${(error as Error).message.split('\n')[0]}`);
      this.died(name, 'failed to start');
    }
  }

  private watchStore(s3: LocalS3): void {
    this.track('object-store');
    void s3.exited.then((code) => {
      if (this.s3 === s3) this.died('object-store', code);
    });
  }

  /** Stops the services (SIGTERM, trainer first, so it can checkpoint while the others still answer), then the store. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const entry of this.restarts.values()) entry.cancel?.();
    await this.dashboard?.stop();
    for (const name of [...SERVICES].reverse()) {
      const s = this.services.get(name);
      if (!s) continue;
      s.child.kill('SIGTERM');
      const timeout = new Promise((done) => setTimeout(done, 30_000).unref());
      await Promise.race([s.exited, timeout]);
      if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
      this.services.delete(name);
    }
    await this.s3.stop();
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
