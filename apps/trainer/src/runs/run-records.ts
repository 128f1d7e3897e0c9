import { getRunRecord, listRunIds, putRunRecord, type ObjectStore } from '@slca/artifacts';
import type { Logger } from '@slca/service-kit';
import { realTimers, type Schedule } from './retry-policy';
import type { RunRecord } from './run-record';

/** Pause before records the store refused are written again. */
export const UNSAVED_RETRY_MS = 5_000;

/**
 * The run records this trainer knows, kept in memory and written to the object store (runs/<id>/run.json).
 * Memory is the trainer's truth: a record the store refused stays in memory as unsaved, and is written
 * again by the next successful write or after a pause, always as its latest state. Writes of one record go
 * one after another, so an older state never lands after a newer one.
 */
export class RunRecords {
  private readonly records = new Map<string, RunRecord>();
  private readonly writes = new Map<string, Promise<void>>();
  private readonly unsavedIds = new Set<string>();
  /** Reads from the store in progress, so that callers loading one id at once share one record. */
  private readonly loading = new Map<string, Promise<RunRecord | undefined>>();
  private cancelRetry: (() => void) | undefined;
  private closed = false;
  /** Flushes in progress; a write that succeeds outside one starts one. */
  private flushes = 0;
  /** When the store was last scanned for records this trainer had not read (ms, options.now's clock). */
  private scannedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly store: ObjectStore,
    private readonly logger: Logger,
    private readonly options: { retryMs?: number; schedule?: Schedule; now?: () => number } = {},
  ) {}

  get(id: string): RunRecord | undefined {
    return this.records.get(id);
  }

  has(id: string): boolean {
    return this.records.has(id);
  }

  /** Forgets a deleted run (its record is already gone from the store). */
  forget(id: string): void {
    this.records.delete(id);
    this.loading.delete(id);
    this.unsavedIds.delete(id);
  }

  all(): RunRecord[] {
    return [...this.records.values()];
  }

  /**
   * The record from memory, else from the store (then remembered); undefined when neither has it. Callers
   * loading the same id at the same time get the same object, and a record saved while the store was read
   * wins over the stored copy: two copies of one run would let one caller's change (a resume counted by
   * recovery) be overwritten by another's stale copy.
   */
  load(id: string): Promise<RunRecord | undefined> {
    const known = this.records.get(id);
    if (known) return Promise.resolve(known);
    const pending = this.loading.get(id);
    if (pending) return pending;
    const read = getRunRecord<RunRecord>(this.store, id)
      .then((stored) => {
        const remembered = this.records.get(id);
        if (remembered) return remembered;
        // Forgotten (deleted) while it was read: the stored copy is not taken back in.
        if (this.loading.get(id) !== read) return undefined;
        if (stored) this.records.set(id, stored);
        return stored;
      })
      .finally(() => {
        // A read started after this one was forgotten is that read's own entry.
        if (this.loading.get(id) === read) this.loading.delete(id);
      });
    this.loading.set(id, read);
    return read;
  }

  /** The records in the store this trainer had not read yet, now remembered. */
  async loadUnknown(): Promise<RunRecord[]> {
    this.scannedAt = (this.options.now ?? Date.now)();
    const loaded: RunRecord[] = [];
    for (const id of await listRunIds(this.store)) {
      if (this.records.has(id)) continue;
      const record = await this.load(id);
      if (record) loaded.push(record);
    }
    return loaded;
  }

  /**
   * Every run in the store, and those only in memory. With `maxAgeMs`, the store (whose listing covers
   * every object of every run) is scanned again only when the last scan is older than that: a list that
   * is polled costs one scan per interval, and the runs this trainer holds are always current in memory.
   */
  async loadAll(options: { maxAgeMs?: number } = {}): Promise<RunRecord[]> {
    const age = (this.options.now ?? Date.now)() - this.scannedAt;
    if (options.maxAgeMs === undefined || age >= options.maxAgeMs) await this.loadUnknown();
    return this.all();
  }

  /** Ids of records whose latest state is not in the store yet. */
  unsaved(): string[] {
    return [...this.unsavedIds];
  }

  /**
   * Remembers the record and writes it; rejects when the store fails, keeping the record unsaved so that
   * it is written later.
   */
  save(record: RunRecord): Promise<void> {
    this.records.set(record.id, record);
    return this.write(record.id);
  }

  /** As `save`, but a store failure is logged instead of thrown; resolves to whether it was written. */
  async saveOrDefer(record: RunRecord): Promise<boolean> {
    try {
      await this.save(record);
      return true;
    } catch (error) {
      this.logger.error('could not write the run record; keeping it to write later', {
        runId: record.id,
        error,
      });
      return false;
    }
  }

  /** Writes every unsaved record now; resolves to whether all of them are written. Never rejects. */
  async flush(): Promise<boolean> {
    this.flushes += 1;
    try {
      const results = await Promise.all(
        this.unsaved().map((id) =>
          this.write(id).then(
            () => true,
            () => false,
          ),
        ),
      );
      return results.every(Boolean);
    } finally {
      this.flushes -= 1;
    }
  }

  /** Stops the retry timer; unsaved records are written only by an explicit `flush`. */
  close(): void {
    this.closed = true;
    this.cancelRetry?.();
    this.cancelRetry = undefined;
  }

  private write(id: string): Promise<void> {
    const previous = this.writes.get(id) ?? Promise.resolve();
    // The state as it is when this write's turn comes, not when it was asked for.
    const next = previous.then(() => putRunRecord(this.store, id, this.records.get(id) as RunRecord));
    const settled = next.then(
      () => this.written(id),
      () => this.failed(id),
    );
    this.writes.set(id, settled);
    void settled.then(() => {
      if (this.writes.get(id) === settled) this.writes.delete(id);
    });
    return next;
  }

  private written(id: string): void {
    const wasUnsaved = this.unsavedIds.delete(id);
    // The store answers again: the others it refused need not wait for the timer.
    if (wasUnsaved && this.unsavedIds.size > 0 && this.flushes === 0) void this.flush();
    if (this.unsavedIds.size === 0) {
      this.cancelRetry?.();
      this.cancelRetry = undefined;
    }
  }

  private failed(id: string): void {
    this.unsavedIds.add(id);
    if (this.cancelRetry || this.closed) return;
    const schedule = this.options.schedule ?? realTimers;
    this.cancelRetry = schedule(() => {
      this.cancelRetry = undefined;
      void this.flush().then((all) => {
        if (all && this.unsavedIds.size === 0)
          this.logger.info('wrote the run records the object store had refused');
      });
    }, this.options.retryMs ?? UNSAVED_RETRY_MS);
  }
}
