import { MemoryObjectStore, ObjectStoreError, type PutOptions } from '@slca/artifacts';
import { createLogger, type Logger } from '@slca/service-kit';
import { RunStatus } from '@slca/contracts';
import type { Schedule } from '../src/runs/retry-policy';
import type { RunRecord } from '../src/runs/run-record';

/** Timers that fire only when the test says so. */
export function manualSchedule() {
  const timers: { fn: () => void; ms: number; cancelled: boolean }[] = [];
  const schedule: Schedule = (fn, ms) => {
    const timer = { fn, ms, cancelled: false };
    timers.push(timer);
    return () => void (timer.cancelled = true);
  };
  return {
    schedule,
    /** Delays of the timers set and not yet fired or cancelled, in the order they were set. */
    pending: () => timers.filter((t) => !t.cancelled).map((t) => t.ms),
    /** Fires every pending timer once (timers they set stay pending). */
    fire: () => {
      for (const t of timers.splice(0)) if (!t.cancelled) t.fn();
    },
  };
}

/** A memory store that fails every call with the store's own `unavailable` error while `down`. */
export class FlakyStore extends MemoryObjectStore {
  down = false;
  /** Fails (with the same error) each put this says yes to, while the store is up. */
  failPut: (key: string, body: Uint8Array) => boolean = () => false;
  puts: string[] = [];

  private check(operation: string, key: string): void {
    if (this.down)
      throw new ObjectStoreError('unavailable', operation, key, undefined, { detail: 'connection refused' });
  }

  override async put(key: string, body: Uint8Array, options?: PutOptions): Promise<void> {
    this.check('put', key);
    if (this.failPut(key, body))
      throw new ObjectStoreError('unavailable', 'put', key, undefined, { detail: 'connection reset' });
    this.puts.push(key);
    return super.put(key, body, options);
  }

  private held: Promise<void> | undefined;

  /** Makes the next get wait until the returned function is called (a slow read). */
  holdNextGet(): () => void {
    let release = (): void => undefined;
    this.held = new Promise<void>((resolve) => (release = resolve));
    return release;
  }

  override async get(key: string): Promise<Buffer> {
    this.check('get', key);
    const held = this.held;
    this.held = undefined;
    if (held) await held;
    return super.get(key);
  }

  override async exists(key: string): Promise<boolean> {
    this.check('exists', key);
    return super.exists(key);
  }

  override async list(prefix: string): Promise<string[]> {
    this.check('list', prefix);
    return super.list(prefix);
  }
}

/** A logger that keeps its lines as parsed JSON. */
export function recordingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    service: 'test',
    level: 'debug',
    write: (line) => void lines.push(JSON.parse(line) as Record<string, unknown>),
  });
  return { logger, lines };
}

/** Lets pending promise callbacks (and the store's async calls) run. */
export async function settle(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i += 1) await new Promise<void>((r) => setImmediate(r));
}

/** A run record as StartRun leaves it (queued, nothing trained), with `over` on top. */
export function queuedRecord(id: string, over: Partial<RunRecord> = {}): RunRecord {
  return {
    id,
    status: RunStatus.RUN_STATUS_QUEUED,
    benchmark: 'embedded',
    method: 'slca',
    seed: 1,
    tags: [],
    configJson: '{}',
    checkpointEvery: 10,
    backend: '',
    splitId: '',
    tasks: 0,
    tasksDone: 0,
    accuracies: [],
    lastAcc: 0,
    incAcc: 0,
    createdAtMs: 1,
    startedAtMs: 0,
    finishedAtMs: 0,
    error: '',
    latestCheckpoint: '',
    checkpointSeq: 0,
    resumedCount: 0,
    ...over,
  };
}
