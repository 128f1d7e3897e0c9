import { join } from 'node:path';
import { startLocalS3, STORE_ENV, type LocalS3 } from '@slca/artifacts';
import {
  dashboardBuilt,
  dashboardEnv,
  startDashboard,
  type DashboardCredentials,
  type DashboardProcess,
} from './dashboard';
import { SERVICE_CONTRACTS, spawnService, type ServiceProcess } from './service-process';

/** The four services, in start order (the trainer needs the others' addresses). */
export const SERVICES = ['splitter', 'stats-store', 'evaluator', 'trainer'] as const;
export type ServiceName = (typeof SERVICES)[number];

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
}

/**
 * The local stack as real processes on 127.0.0.1: an S3-compatible server (s3rver, our keys, no anonymous
 * access) and the splitter, statistics store, evaluator and trainer, each its own Node process running its
 * sources through tsx. Used by `npm start` and by the end-to-end tests.
 */
export class Stack {
  /** The dashboard, when it was asked for and is built. */
  dashboard?: DashboardProcess;

  private constructor(
    readonly options: StackOptions,
    readonly s3: LocalS3,
    readonly services: Map<ServiceName, ServiceProcess>,
  ) {}

  static async start(options: StackOptions): Promise<Stack> {
    const s3 = await startLocalS3({ directory: join(options.dataDir, 's3'), port: options.s3Port ?? 0 });
    const stack = new Stack(options, s3, new Map());
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

  address(name: ServiceName): string {
    const s = this.services.get(name);
    if (!s) throw new Error(`${name} is not running`);
    return s.address;
  }

  /** Starts (or restarts) one service; resolves once it logs that it is listening. */
  async startService(name: ServiceName, extraEnv: Record<string, string> = {}): Promise<ServiceProcess> {
    const port = this.options.ports?.[name] ?? 0;
    const peers: Record<string, string> =
      name === 'trainer'
        ? {
            SLCA_SPLITTER_ADDRESS: this.address('splitter'),
            SLCA_STATS_STORE_ADDRESS: this.address('stats-store'),
            SLCA_EVALUATOR_ADDRESS: this.address('evaluator'),
          }
        : {};
    const service = await spawnService(name, {
      env: {
        ...this.storeEnv,
        ...peers,
        [SERVICE_CONTRACTS[name].portEnv]: String(port),
        ...this.options.env,
        ...extraEnv,
      },
      onLog: (line) => this.options.onLog?.(name, line),
      startTimeoutMs: this.options.startTimeoutMs,
    });
    this.services.set(name, service);
    return service;
  }

  /** Sends a signal to one service and waits for it to end; the exit code, or the signal's name. */
  async kill(name: ServiceName, signal: NodeJS.Signals): Promise<number | string> {
    const s = this.services.get(name);
    if (!s) throw new Error(`${name} is not running`);
    s.child.kill(signal);
    const code = await s.exited;
    this.services.delete(name);
    return code;
  }

  /** Stops the services (SIGTERM, trainer first, so it can checkpoint while the others still answer), then the store. */
  async stop(): Promise<void> {
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
