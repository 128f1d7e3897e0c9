import type { RunStatus } from '@slca/contracts';

/** A run being executed: how to stop it, why it was asked to, and when it is done. */
export interface ActiveRun {
  readonly stop: AbortController;
  /** Why it was asked to stop: the status the run ends in. */
  reason?: RunStatus.RUN_STATUS_CANCELLED | RunStatus.RUN_STATUS_INTERRUPTED;
  /** Settles (never rejects) when the run's execution has ended. */
  done: Promise<void>;
}

/** How far back the starts an owner has had count for the fair queue (see {@link RunQueue}). */
export const RECENT_STARTS_MS = 60 * 60_000;

export interface RunQueueOptions {
  /** The owner of a run (its user); runs without one share the owner `''`. Default: nobody's. */
  ownerOf?: (runId: string) => string;
  /** How long a start counts against its owner; default {@link RECENT_STARTS_MS}. */
  recentMs?: number;
  /** The clock (ms); tests pass their own. */
  now?: () => number;
}

/**
 * The runs waiting to train and the ones training: at most `concurrency` at once. A run that ends starts
 * the next one, chosen fairly between owners, not first in first out: the oldest waiting run of the owner
 * who has had the fewest runs started within the last `recentMs` (ties: the owner whose oldest waiting run
 * came first). Five users queueing four runs each therefore take turns — one run of each, then the second
 * of each — however they were submitted, and a user who queues a hundred runs delays the others by at
 * most one run each. `execute` is expected to handle its own failures; one that rejects anyway goes to
 * `onError`, so a run never leaves an unhandled rejection behind.
 */
export class RunQueue {
  /** Waiting runs in the order they were queued. */
  private readonly waiting: string[] = [];
  private readonly running = new Map<string, ActiveRun>();
  /** When each owner's runs were started, oldest first, within the window. */
  private readonly starts = new Map<string, number[]>();
  private closed = false;
  private readonly ownerOf: (runId: string) => string;
  private readonly recentMs: number;
  private readonly now: () => number;

  constructor(
    private readonly concurrency: number,
    private readonly execute: (runId: string, active: ActiveRun) => Promise<void>,
    private readonly onError: (runId: string, error: unknown) => void,
    options: RunQueueOptions = {},
  ) {
    this.ownerOf = options.ownerOf ?? (() => '');
    this.recentMs = options.recentMs ?? RECENT_STARTS_MS;
    this.now = options.now ?? Date.now;
  }

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

  /** The waiting runs, next first (the order they start in if nothing else is queued meanwhile). */
  queued(): readonly string[] {
    const counts = this.recentCounts();
    const left = [...this.waiting];
    const order: string[] = [];
    while (left.length > 0) {
      const i = this.nextIndex(left, counts);
      const [runId] = left.splice(i, 1);
      order.push(runId);
      const owner = this.ownerOf(runId);
      counts.set(owner, (counts.get(owner) ?? 0) + 1);
    }
    return order;
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
      const [runId] = this.waiting.splice(this.nextIndex(this.waiting, this.recentCounts()), 1);
      this.countStart(runId);
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

  /** Runs started per owner within the window (owners with none are absent). */
  private recentCounts(): Map<string, number> {
    const since = this.now() - this.recentMs;
    const counts = new Map<string, number>();
    for (const [owner, times] of this.starts) {
      const recent = times.filter((t) => t > since);
      if (recent.length === 0) this.starts.delete(owner);
      else {
        this.starts.set(owner, recent);
        counts.set(owner, recent.length);
      }
    }
    return counts;
  }

  private countStart(runId: string): void {
    const owner = this.ownerOf(runId);
    const times = this.starts.get(owner) ?? [];
    times.push(this.now());
    this.starts.set(owner, times);
  }

  /**
   * Where in `waiting` (queue order) the next run to start is: the first run of the owner with the
   * fewest recent starts; scanning in queue order makes the tie go to the owner queued first.
   */
  private nextIndex(waiting: readonly string[], counts: ReadonlyMap<string, number>): number {
    let best = 0;
    let fewest = Number.POSITIVE_INFINITY;
    const seen = new Set<string>();
    for (const [i, runId] of waiting.entries()) {
      const owner = this.ownerOf(runId);
      if (seen.has(owner)) continue;
      seen.add(owner);
      const started = counts.get(owner) ?? 0;
      if (started < fewest) {
        fewest = started;
        best = i;
      }
    }
    return best;
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
