import { logKey, type ObjectStore } from '@slca/artifacts';

/** Lines a run keeps between flushes; older ones are dropped first. */
export const RUN_LOG_LINES = 2_000;
/** The run's log file under runs/<id>/logs/. */
export const RUN_LOG_FILE = 'trainer.log';

/** A fixed-size buffer of the newest lines: pushing past capacity drops the oldest. */
export class LineRing {
  private readonly slots: string[];
  private start = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
    this.slots = new Array<string>(capacity);
  }

  get size(): number {
    return this.count;
  }

  push(line: string): void {
    this.slots[(this.start + this.count) % this.capacity] = line;
    if (this.count < this.capacity) this.count += 1;
    else this.start = (this.start + 1) % this.capacity;
  }

  /** The lines, oldest first. */
  lines(): string[] {
    return Array.from({ length: this.count }, (_, i) => this.slots[(this.start + i) % this.capacity]);
  }

  /** The lines, oldest first, leaving the ring empty. */
  drain(): string[] {
    const out = this.lines();
    this.slots.fill('');
    this.start = 0;
    this.count = 0;
    return out;
  }
}

/**
 * The trainer's log of each run: timestamped lines buffered in memory, appended to runs/<id>/logs/trainer.log
 * by `flush`. Flushes of one run go one after another; lines a failed flush could not write stay buffered,
 * ahead of newer ones, for the next flush.
 */
export class RunLog {
  private readonly buffers = new Map<string, LineRing>();
  private readonly flushing = new Map<string, Promise<void>>();

  constructor(
    private readonly store: ObjectStore,
    private readonly options: { maxLines?: number; now?: () => Date } = {},
  ) {}

  /** Buffers one line; returns it as it will be written (with its timestamp). */
  append(runId: string, message: string): string {
    const line = `${(this.options.now?.() ?? new Date()).toISOString()} ${message}`;
    this.buffer(runId).push(line);
    return line;
  }

  /** Lines buffered and not yet written, oldest first. */
  pending(runId: string): string[] {
    return this.buffers.get(runId)?.lines() ?? [];
  }

  /** Appends the buffered lines to the run's log file; rejects (keeping them) when the store fails. */
  flush(runId: string): Promise<void> {
    const previous = this.flushing.get(runId) ?? Promise.resolve();
    const next = previous.then(() => this.write(runId));
    const settled = next.catch(() => undefined);
    this.flushing.set(runId, settled);
    void settled.then(() => {
      if (this.flushing.get(runId) === settled) this.flushing.delete(runId);
    });
    return next;
  }

  private async write(runId: string): Promise<void> {
    const ring = this.buffers.get(runId);
    if (!ring?.size) return;
    const lines = ring.drain();
    try {
      const key = logKey(runId, RUN_LOG_FILE);
      const before = (await this.store.exists(key)) ? (await this.store.get(key)).toString('utf8') : '';
      await this.store.put(key, Buffer.from(`${before}${lines.join('\n')}\n`), { contentType: 'text/plain' });
    } catch (error) {
      // Back in front of whatever was logged meanwhile; the ring keeps the newest if that is too many.
      const newer = ring.drain();
      for (const line of [...lines, ...newer]) ring.push(line);
      throw error;
    } finally {
      if (ring.size === 0 && this.buffers.get(runId) === ring) this.buffers.delete(runId);
    }
  }

  private buffer(runId: string): LineRing {
    let ring = this.buffers.get(runId);
    if (!ring) this.buffers.set(runId, (ring = new LineRing(this.options.maxLines ?? RUN_LOG_LINES)));
    return ring;
  }
}
