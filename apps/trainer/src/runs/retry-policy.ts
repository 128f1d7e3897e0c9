import { status as grpcStatus } from '@grpc/grpc-js';

/** Runs `fn` after `ms` without keeping the process alive; returns what cancels it. */
export type Schedule = (fn: () => void, ms: number) => () => void;

export const realTimers: Schedule = (fn, ms) => {
  const timer = setTimeout(fn, ms);
  timer.unref();
  return () => clearTimeout(timer);
};

/**
 * Pauses before a run continues on its own after a transient failure; after the last, it keeps that pause
 * for as long as the failures last (an outage of any length is a pause, not a failure). Calls inside a
 * run wait out outages themselves (OutageGate), so this covers what fails outside them.
 */
export const TRANSIENT_RETRY_DELAYS_MS: readonly number[] = [5_000, 15_000, 45_000, 60_000];

/** UNAVAILABLE or DEADLINE_EXCEEDED from a peer, or the object store unreachable: worth another try. */
export function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === grpcStatus.UNAVAILABLE || code === grpcStatus.DEADLINE_EXCEEDED || code === 'unavailable';
}

/**
 * When a failed run is tried again by itself: transient failures only, after the next pause of the
 * schedule (its last pause repeats), at most `limit` times in a row. Counts each run's transient failures
 * since its last success, and owns the timers of the retries it scheduled.
 */
export class RetryPolicy {
  private readonly failures = new Map<string, number>();
  private readonly pending = new Map<string, () => void>();

  constructor(
    private readonly delaysMs: readonly number[] = TRANSIENT_RETRY_DELAYS_MS,
    private readonly schedule: Schedule = realTimers,
    /** Transient failures in a row retried before the run fails (default: no limit). */
    private readonly limit = Number.POSITIVE_INFINITY,
  ) {}

  /** Transient failures of `runId` counted so far. */
  failureCount(runId: string): number {
    return this.failures.get(runId) ?? 0;
  }

  /**
   * After `runId` failed with `error`: the pause before it is tried again (counting this failure), or
   * undefined when it should fail for good (not transient, or past the limit).
   */
  nextDelay(runId: string, error: unknown): number | undefined {
    const attempt = this.failureCount(runId);
    if (!isTransient(error) || attempt >= this.limit || this.delaysMs.length === 0) return undefined;
    this.failures.set(runId, attempt + 1);
    return this.delaysMs[Math.min(attempt, this.delaysMs.length - 1)];
  }

  /** Runs `retry` after `ms`, replacing a retry of the same run not yet due. */
  later(runId: string, ms: number, retry: () => void): void {
    this.pending.get(runId)?.();
    const cancel = this.schedule(() => {
      this.pending.delete(runId);
      retry();
    }, ms);
    this.pending.set(runId, cancel);
  }

  /** The run succeeded: its next transient failure starts the schedule again. */
  succeeded(runId: string): void {
    this.failures.delete(runId);
  }

  /** Cancels every retry not yet due. */
  close(): void {
    for (const cancel of this.pending.values()) cancel();
    this.pending.clear();
  }
}
