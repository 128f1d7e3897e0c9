import type { RunStatus } from '@slca/contracts';

/** A run being executed: how to stop it, why it was asked to, and when it is done. */
export interface ActiveRun {
  readonly stop: AbortController;
  /** Why it was asked to stop: the status the run ends in. */
  reason?: RunStatus.RUN_STATUS_CANCELLED | RunStatus.RUN_STATUS_INTERRUPTED;
  /** Settles (never rejects) when the run's execution has ended. */
  done: Promise<void>;
}

/**
 * The runs waiting to train, first in first out, and the ones training: at most `concurrency` at once.
 * A run that ends starts the next one. `execute` is expected to handle its own failures; one that
 * rejects anyway goes to `onError`, so a run never leaves an unhandled rejection behind.
 */
export class RunQueue {
  private readonly waiting: string[] = [];
  private readonly running = new Map<string, ActiveRun>();
  private closed = false;

  constructor(
    private readonly concurrency: number,
    private readonly execute: (runId: string, active: ActiveRun) => Promise<void>,
    private readonly onError: (runId: string, error: unknown) => void,
  ) {}

  get closing(): boolean {
    return this.closed;
  }

  /** Queues a run (once: a run already waiting keeps its place) and starts what fits. */
  enqueue(runId: string): void {
    if (!this.waiting.includes(runId)) this.waiting.push(runId);
    this.pump();
  }

  /** Takes a waiting run off the queue; false when it was not waiting. */
  remove(runId: string): boolean {
    const i = this.waiting.indexOf(runId);
    if (i < 0) return false;
    this.waiting.splice(i, 1);
    return true;
  }

  /** The waiting runs, next first. */
  queued(): readonly string[] {
    return [...this.waiting];
  }

  active(runId: string): ActiveRun | undefined {
    return this.running.get(runId);
  }

  activeRuns(): ActiveRun[] {
    return [...this.running.values()];
  }

  /** Starts nothing more and forgets the waiting runs; returns the active ones. */
  close(): ActiveRun[] {
    this.closed = true;
    this.waiting.length = 0;
    return this.activeRuns();
  }

  private pump(): void {
    while (!this.closed && this.running.size < this.concurrency && this.waiting.length > 0) {
      const runId = this.waiting.shift() as string;
      const active: ActiveRun = { stop: new AbortController(), done: Promise.resolve() };
      this.running.set(runId, active);
      active.done = this.start(runId, active)
        .catch((error: unknown) => {
          this.onError(runId, error);
        })
        .finally(() => {
          this.running.delete(runId);
          this.pump();
        });
    }
  }

  /** Starts the execution at once (so it runs in the caller's turn, as the caller's context expects). */
  private start(runId: string, active: ActiveRun): Promise<void> {
    try {
      return this.execute(runId, active);
    } catch (error) {
      return Promise.reject(error);
    }
  }
}
