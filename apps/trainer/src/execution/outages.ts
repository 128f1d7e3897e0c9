import type { ObjectInfo, ObjectStore, PutOptions } from '@slca/artifacts';
import { isTransient } from '../runs/retry-policy';

/** What a run depends on while it trains. */
export type Dependency = 'object-store' | 'splitter' | 'stats-store' | 'evaluator';

const NAMES: Record<Dependency, string> = {
  'object-store': 'the object store',
  splitter: 'the splitter',
  'stats-store': 'the statistics store',
  evaluator: 'the evaluator',
};

/** Where each dependency is, for the run's status ("waiting for the evaluator at 127.0.0.1:50054"). */
export type DependencyAddresses = Partial<Record<Dependency, string>>;

/** "the evaluator at 127.0.0.1:50054", or just "the evaluator" when its address is not known. */
export function describeDependency(dependency: Dependency, addresses: DependencyAddresses = {}): string {
  const address = addresses[dependency];
  return address ? `${NAMES[dependency]} at ${address}` : NAMES[dependency];
}

/** Pauses between tries of a call to a dependency that is down: short at first, then every 5 s. */
export const OUTAGE_RETRY_DELAYS_MS: readonly number[] = [250, 500, 1_000, 2_000, 5_000];

/**
 * How long a call may go unanswered before the run is reported as waiting for its dependency, per
 * dependency: the object store's client has no deadline, so a hung store (a frozen process, a network
 * that drops packets) would leave the run stalled with nothing said. The peers' calls have deadlines and
 * some (an import, an evaluation) rightly take minutes, so they are reported only when they fail.
 */
export const SLOW_CALL_MS: Readonly<Partial<Record<Dependency, number>>> = { 'object-store': 15_000 };

/** A call that has not answered yet, as the reason a run waits. */
export class NoAnswer extends Error {
  override name = 'NoAnswer';
  constructor(readonly ms: number) {
    super(`no answer for ${ms / 1000} s`);
  }
}

/** The run was asked to stop (cancel, shutdown) while it waited for a dependency. */
export class WaitStopped extends Error {
  override name = 'WaitStopped';
  constructor(readonly dependency: string) {
    super(`stopped while waiting for ${dependency}`);
  }
}

export interface OutageGateOptions {
  /** Ends every wait (with WaitStopped) when aborted. */
  signal: AbortSignal;
  addresses?: DependencyAddresses;
  /**
   * What the run waits for changed: the dependency's description and the failure that started the wait,
   * or '' when every dependency answers again.
   */
  onChange(waitingFor: string, error?: unknown): void;
  delaysMs?: readonly number[];
  /** When an unanswered call counts as a wait (default SLOW_CALL_MS). */
  slowAfterMs?: Partial<Record<Dependency, number>>;
  /** Resolves after `ms`, rejects when `signal` aborts (tests pass their own). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done() {
      signal.removeEventListener('abort', aborted);
      resolve();
    }
    function aborted() {
      clearTimeout(timer);
      reject(signal.reason);
    }
    signal.addEventListener('abort', aborted, { once: true });
  });
}

/**
 * Calls a run's dependencies so that an outage of any length is a pause, not a failure: a call that fails
 * because the object store or a peer is unreachable or too slow (UNAVAILABLE, DEADLINE_EXCEEDED, the
 * store's `unavailable`) is tried again, with growing pauses, until it answers or the run is stopped.
 * Only that call is repeated (every one the trainer makes is idempotent), never the training before it.
 * Reports when the run starts waiting (the first dependency down) and when it no longer waits.
 */
export class OutageGate {
  /** Calls waiting per dependency, with the failure that started the wait; the run waits while any is. */
  private readonly waiting = new Map<Dependency, { calls: number; error: unknown }>();
  private reported = '';

  constructor(private readonly options: OutageGateOptions) {}

  /** What the run waits for now ('' when nothing). */
  get waitingFor(): string {
    return this.reported;
  }

  async call<T>(dependency: Dependency, fn: () => Promise<T>): Promise<T> {
    const { signal } = this.options;
    const delays = this.options.delaysMs ?? OUTAGE_RETRY_DELAYS_MS;
    const pause = this.options.sleep ?? sleep;
    const slowMs = (this.options.slowAfterMs ?? SLOW_CALL_MS)[dependency];
    let waited = false;
    const wait = (error: unknown) => {
      if (waited) return;
      waited = true;
      const entry = this.waiting.get(dependency);
      this.waiting.set(dependency, { calls: (entry?.calls ?? 0) + 1, error: entry?.error ?? error });
      this.report();
    };
    try {
      for (let attempt = 0; ; attempt++) {
        // A call still unanswered after `slowMs` is a wait too (it goes on; its answer ends the wait).
        const slow = slowMs === undefined ? undefined : setTimeout(() => wait(new NoAnswer(slowMs)), slowMs);
        // A stopped run still makes its calls (the checkpoint a shutdown writes goes through here); it only
        // no longer waits for a dependency that does not answer.
        try {
          return await fn();
        } catch (error) {
          if (!isTransient(error)) throw error;
          if (signal.aborted) throw new WaitStopped(describeDependency(dependency, this.options.addresses));
          wait(error);
          clearTimeout(slow);
          try {
            await pause(delays[Math.min(attempt, delays.length - 1)] ?? 1_000, signal);
          } catch {
            throw new WaitStopped(describeDependency(dependency, this.options.addresses));
          }
        } finally {
          clearTimeout(slow);
        }
      }
    } finally {
      if (waited) {
        const entry = this.waiting.get(dependency);
        if (entry && entry.calls > 1) entry.calls -= 1;
        else this.waiting.delete(dependency);
        this.report();
      }
    }
  }

  /** `store` with every operation made through this gate. */
  store(store: ObjectStore): ObjectStore {
    const through = <T>(fn: () => Promise<T>) => this.call('object-store', fn);
    return {
      description: store.description,
      put: (key: string, body: Uint8Array, options?: PutOptions) =>
        through(() => store.put(key, body, options)),
      get: (key: string) => through(() => store.get(key)),
      stat: (key: string): Promise<ObjectInfo> => through(() => store.stat(key)),
      exists: (key: string) => through(() => store.exists(key)),
      list: (prefix: string) => through(() => store.list(prefix)),
      remove: (key: string) => through(() => store.remove(key)),
    };
  }

  private report(): void {
    const [first] = this.waiting;
    const now = first ? describeDependency(first[0], this.options.addresses) : '';
    if (now === this.reported) return;
    this.reported = now;
    this.options.onChange(now, first?.[1].error);
  }
}
