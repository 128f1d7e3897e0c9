import type { Server } from '@grpc/grpc-js';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import type { Logger } from './logging';

export type { ServingStatus };

/** The name `grpc.health.v1.Health/Check` uses for the process as a whole. */
export const OVERALL_HEALTH = '';

/** Something the service cannot answer without (the object store, another service). */
export interface DependencyCheck {
  readonly name: string;
  /** Resolves when the dependency is usable; rejecting or outliving `timeoutMs` counts as down. */
  readonly check: (signal: AbortSignal) => Promise<unknown> | unknown;
  readonly timeoutMs: number;
}

export interface DependencyResult {
  readonly name: string;
  readonly ok: boolean;
  readonly durationMs: number;
  readonly problem?: string;
}

type Phase = 'starting' | 'running' | 'stopping';

/**
 * The health one gRPC server reports: every service it hosts plus the overall entry, all SERVING only
 * while the server runs and every dependency passed its latest check.
 */
export class ServiceHealth {
  private readonly implementation = new HealthImplementation();
  private readonly services = new Set<string>([OVERALL_HEALTH]);
  private readonly dependencies: DependencyCheck[] = [];
  private results: readonly DependencyResult[] = [];
  private phase: Phase = 'starting';
  private current: ServingStatus = 'NOT_SERVING';
  private inFlight?: Promise<readonly DependencyResult[]>;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly logger: Logger,
    private readonly checkIntervalMs: number,
  ) {
    this.publish();
  }

  /** Registers `grpc.health.v1.Health` on the given server. */
  addToServer(server: Server): void {
    this.implementation.addToServer(server);
  }

  addServices(names: Iterable<string>): void {
    for (const name of names) this.services.add(name);
    this.publish();
  }

  addDependency(check: DependencyCheck): void {
    if (!(check.timeoutMs > 0)) throw new RangeError(`dependency ${check.name}: timeoutMs must be positive`);
    this.dependencies.push(check);
  }

  get status(): ServingStatus {
    return this.current;
  }

  get serviceNames(): readonly string[] {
    return [...this.services];
  }

  get lastResults(): readonly DependencyResult[] {
    return this.results;
  }

  /** Runs every dependency check now (concurrently, each bounded by its timeout) and republishes. */
  checkDependencies(): Promise<readonly DependencyResult[]> {
    this.inFlight ??= Promise.all(this.dependencies.map(runCheck)).then((results) => {
      this.inFlight = undefined;
      this.results = results;
      for (const failed of results.filter((r) => !r.ok)) {
        this.logger.warn('dependency check failed', { dependency: failed.name, problem: failed.problem });
      }
      this.publish();
      return results;
    });
    return this.inFlight;
  }

  /** @internal Called once the server accepts calls. */
  async markRunning(): Promise<void> {
    this.phase = 'running';
    await this.checkDependencies();
    if (this.dependencies.length > 0 && this.checkIntervalMs > 0 && this.phase === 'running') {
      this.timer = setInterval(() => void this.checkDependencies(), this.checkIntervalMs);
      this.timer.unref();
    }
  }

  /** @internal Called first on shutdown, so balancers stop routing here before the server drains. */
  markStopping(): void {
    this.phase = 'stopping';
    clearInterval(this.timer);
    this.publish();
  }

  private publish(): void {
    const healthy = this.phase === 'running' && this.results.every((r) => r.ok);
    const next: ServingStatus = healthy ? 'SERVING' : 'NOT_SERVING';
    if (next !== this.current) this.logger.info('health changed', { health: next, phase: this.phase });
    this.current = next;
    for (const name of this.services) this.implementation.setStatus(name, next);
  }
}

async function runCheck(dependency: DependencyCheck): Promise<DependencyResult> {
  const started = performance.now();
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new Error(`timed out after ${dependency.timeoutMs} ms`);
      controller.abort(error);
      reject(error);
    }, dependency.timeoutMs);
  });
  try {
    await Promise.race([Promise.resolve().then(() => dependency.check(controller.signal)), timeout]);
    return { name: dependency.name, ok: true, durationMs: performance.now() - started };
  } catch (error) {
    const problem = error instanceof Error ? error.message : String(error);
    return { name: dependency.name, ok: false, durationMs: performance.now() - started, problem };
  } finally {
    clearTimeout(timer);
  }
}
