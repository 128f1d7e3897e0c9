import { randomBytes } from 'node:crypto';
import { status as grpcStatus } from '@grpc/grpc-js';
import {
  getRunRecord,
  listArtifacts,
  listRunIds,
  logKey,
  putRunRecord,
  readArtifactManifest,
  sha256Hex,
  runPrefix,
  type ObjectStore,
} from '@slca/artifacts';
import { RunStatus, type Run, type RunEvent } from '@slca/contracts';
import { ExperimentStopped, type ProgressEvent } from '@slca/engine';
import { alreadyExists, callContext, failedPrecondition, notFound, type Logger } from '@slca/service-kit';
import { InProcessExecutor, type RunExecutor } from '../execution/executor';
import type { Peers } from '../execution/peers';
import { runSpecFrom, type RunRequest } from '../execution/run-spec';
import { executionInput } from './execution-input';
import { RunEvents } from './run-events';
import { ORPHANED, TERMINAL, toRun, type RunRecord } from './run-record';

export interface RunManagerOptions {
  store: ObjectStore;
  peers: Peers;
  logger: Logger;
  workers: number;
  checkpointEvery: number;
  /** Runs trained at once by this process (each uses every worker thread). */
  concurrency: number;
  executor?: RunExecutor;
}

interface Active {
  stop: AbortController;
  /** Why it was asked to stop: the status the run ends in. */
  reason?: RunStatus.RUN_STATUS_CANCELLED | RunStatus.RUN_STATUS_INTERRUPTED;
  done: Promise<void>;
}

const LOG_LINES = 2_000;

/** Pauses before a run continues on its own after a transient failure; more failures than this fail it. */
const TRANSIENT_RETRIES = [5_000, 15_000, 45_000];

/** UNAVAILABLE or DEADLINE_EXCEEDED from a peer, or the object store unreachable: worth another try. */
export function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === grpcStatus.UNAVAILABLE || code === grpcStatus.DEADLINE_EXCEEDED || code === 'unavailable';
}

/**
 * Owns the runs of this trainer: their records in the object store, the queue, the in-process execution,
 * and their event streams. A run's record is written by one trainer at a time; a trainer that starts finds
 * the runs a dead one left behind (queued, running, interrupted) and continues them from their checkpoints.
 */
export class RunManager {
  readonly events = new RunEvents();
  private readonly records = new Map<string, RunRecord>();
  private readonly queue: string[] = [];
  private readonly active = new Map<string, Active>();
  private readonly logs = new Map<string, string[]>();
  private closing = false;
  private readonly executor: RunExecutor;
  private readonly transientFailures = new Map<string, number>();

  constructor(private readonly options: RunManagerOptions) {
    this.executor = options.executor ?? new InProcessExecutor();
  }

  /** Picks up the runs a previous trainer process left unfinished. */
  async recover(): Promise<string[]> {
    const resumed: string[] = [];
    for (const id of await listRunIds(this.options.store)) {
      const record = await getRunRecord<RunRecord>(this.options.store, id);
      if (!record) continue;
      this.records.set(id, record);
      if (ORPHANED.has(record.status)) {
        if (record.status !== RunStatus.RUN_STATUS_QUEUED) record.resumedCount += 1;
        record.status = RunStatus.RUN_STATUS_QUEUED;
        await this.save(record);
        this.enqueue(id);
        resumed.push(id);
      }
    }
    if (resumed.length)
      this.options.logger.info('continuing runs left by a previous trainer', { runs: resumed });
    return resumed;
  }

  async start(req: RunRequest): Promise<Run> {
    const spec = runSpecFrom(req, {
      workers: this.options.workers,
      checkpointEvery: this.options.checkpointEvery,
      newId: () => `run-${new Date().toISOString().slice(0, 10)}-${randomBytes(4).toString('hex')}`,
    });
    const configJson = JSON.stringify(spec.config);
    const existing =
      this.records.get(spec.runId) ?? (await getRunRecord<RunRecord>(this.options.store, spec.runId));
    if (existing) {
      const same =
        existing.configJson === configJson &&
        existing.benchmark === spec.benchmark &&
        existing.method === spec.method;
      if (!same) throw alreadyExists(`run ${spec.runId} already exists with another configuration`);
      this.records.set(existing.id, existing);
      return toRun(existing);
    }
    const record: RunRecord = {
      id: spec.runId,
      status: RunStatus.RUN_STATUS_QUEUED,
      benchmark: spec.benchmark,
      method: spec.method,
      seed: spec.seed,
      tags: spec.tags,
      configJson,
      checkpointEvery: spec.checkpointEvery,
      backend: '',
      splitId: '',
      tasks: 0,
      tasksDone: 0,
      accuracies: [],
      lastAcc: 0,
      incAcc: 0,
      createdAtMs: Date.now(),
      startedAtMs: 0,
      finishedAtMs: 0,
      error: '',
      latestCheckpoint: '',
      checkpointSeq: 0,
      resumedCount: 0,
    };
    await this.save(record);
    const accepted = toRun(record);
    this.enqueue(record.id);
    return accepted;
  }

  get(id: string): RunRecord {
    const record = this.records.get(id);
    if (!record) throw notFound(`run ${id} does not exist`);
    return record;
  }

  async find(id: string): Promise<RunRecord> {
    const known = this.records.get(id);
    if (known) return known;
    const stored = await getRunRecord<RunRecord>(this.options.store, id);
    if (!stored) throw notFound(`run ${id} does not exist`);
    this.records.set(id, stored);
    return stored;
  }

  async list(): Promise<RunRecord[]> {
    for (const id of await listRunIds(this.options.store)) {
      if (!this.records.has(id)) {
        const r = await getRunRecord<RunRecord>(this.options.store, id);
        if (r) this.records.set(id, r);
      }
    }
    return [...this.records.values()].sort((a, b) => b.createdAtMs - a.createdAtMs);
  }

  async cancel(id: string): Promise<Run> {
    const record = await this.find(id);
    if (TERMINAL.has(record.status))
      throw failedPrecondition(`run ${id} has already ended (${record.status})`);
    const active = this.active.get(id);
    if (active) {
      active.reason = RunStatus.RUN_STATUS_CANCELLED;
      // The reason tells an executor a cancel (end the run's work) from a shutdown (leave it to resume).
      active.stop.abort(active.reason);
      await active.done;
    } else {
      const i = this.queue.indexOf(id);
      if (i >= 0) this.queue.splice(i, 1);
      record.status = RunStatus.RUN_STATUS_CANCELLED;
      record.finishedAtMs = Date.now();
      await this.save(record);
    }
    return toRun(this.get(id));
  }

  async resume(id: string): Promise<Run> {
    const record = await this.find(id);
    const resumable = [
      RunStatus.RUN_STATUS_CANCELLED,
      RunStatus.RUN_STATUS_FAILED,
      RunStatus.RUN_STATUS_INTERRUPTED,
    ];
    if (!resumable.includes(record.status))
      throw failedPrecondition(
        `run ${id} is ${record.status}; only cancelled, failed or interrupted runs resume`,
      );
    record.status = RunStatus.RUN_STATUS_QUEUED;
    record.error = '';
    record.finishedAtMs = 0;
    record.resumedCount += 1;
    await this.save(record);
    const accepted = toRun(record);
    this.enqueue(id);
    return accepted;
  }

  /**
   * Every committed object of a run with its size and SHA-256: files of committed artifacts as their
   * manifests record them, other objects (record, configuration, metrics, logs) hashed as read. Staging
   * uploads and files of uncommitted artifacts are left out.
   */
  async artifacts(id: string): Promise<{ key: string; size: number; sha256: string }[]> {
    await this.find(id);
    const store = this.options.store;
    const out = new Map<string, { key: string; size: number; sha256: string }>();
    for (const prefix of await listArtifacts(store, runPrefix(id))) {
      const manifest = await readArtifactManifest(store, prefix);
      for (const f of manifest.files) {
        out.set(f.key, { key: f.key, size: f.size, sha256: f.sha256 });
      }
    }
    for (const key of await store.list(runPrefix(id))) {
      if (out.has(key) || key.includes('/uploads/')) continue;
      const artifactFolder = /\/(checkpoints|models|stats)\//.test(key);
      if (artifactFolder && !key.endsWith('/manifest.json')) continue;
      const bytes = await store.get(key);
      out.set(key, { key, size: bytes.length, sha256: sha256Hex(bytes) });
    }
    return [...out.values()].sort((a, b) => a.key.localeCompare(b.key));
  }

  /** Stops every run at its next step boundary with a checkpoint; they resume when a trainer starts again. */
  async shutdown(): Promise<void> {
    this.closing = true;
    this.queue.length = 0;
    const running = [...this.active.values()];
    for (const a of running) {
      a.reason ??= RunStatus.RUN_STATUS_INTERRUPTED;
      a.stop.abort(a.reason);
    }
    await Promise.all(running.map((a) => a.done));
  }

  private enqueue(id: string): void {
    if (!this.queue.includes(id)) this.queue.push(id);
    this.pump();
  }

  private pump(): void {
    while (!this.closing && this.active.size < this.options.concurrency && this.queue.length > 0) {
      const id = this.queue.shift() as string;
      const stop = new AbortController();
      const entry: Active = { stop, done: Promise.resolve() };
      this.active.set(id, entry);
      // A run outlives the call that queued it: its logs and peer calls carry its own id, not that call's.
      entry.done = callContext
        .run({ runId: id }, () => this.execute(id, entry))
        .finally(() => {
          this.active.delete(id);
          this.pump();
        });
    }
  }

  private async execute(id: string, active: Active): Promise<void> {
    const record = this.get(id);
    const logger = this.options.logger;
    record.status = RunStatus.RUN_STATUS_RUNNING;
    record.startedAtMs ||= Date.now();
    await this.save(record);
    const sessionStart = performance.now();
    let firstFraction: number | undefined;
    try {
      const result = await this.executor.execute(
        executionInput(record, {
          store: this.options.store,
          peers: this.options.peers,
          signal: active.stop.signal,
          logger,
          hooks: {
            onProgress: (e) => {
              const event = this.progressEvent(e, sessionStart, (f) => (firstFraction ??= f));
              if (event) this.events.emit(id, event);
            },
            onPrepared: async ({ splitId, tasks, backend }) => {
              Object.assign(record, { splitId, tasks, backend });
              await this.save(record);
            },
            onCheckpoint: async ({ prefix, seq, state, reason }) => {
              record.latestCheckpoint = prefix;
              record.checkpointSeq = seq;
              await this.save(record);
              this.events.emit(id, {
                checkpoint: { prefix, task: state.task, epoch: state.epoch, step: state.step },
              });
              if (reason !== 'steps') this.log(id, `checkpoint ${prefix} (${reason})`);
            },
            onEvaluated: async ({ task, accuracy, perTask }) => {
              record.tasksDone = task + 1;
              record.accuracies = [...record.accuracies.slice(0, task), accuracy];
              await this.save(record);
              this.events.emit(id, { evaluated: { task, accuracy, perTask } });
              this.log(id, `task ${task + 1}/${record.tasks}: A_t = ${accuracy.toFixed(2)}%`);
              await this.flushLog(id);
            },
            log: (message) => this.log(id, message),
          },
        }),
      );
      const metrics = await this.options.peers.metrics({ runId: id });
      const summary = metrics.metrics;
      if (!summary?.complete) throw new Error(`the evaluator has not seen every task of run ${id}`);
      if (summary.accuracies.join() !== result.accuracies.join())
        throw new Error(
          `the evaluator's accuracies for run ${id} differ from the ones it returned during training`,
        );
      this.transientFailures.delete(id);
      Object.assign(record, {
        status: RunStatus.RUN_STATUS_SUCCEEDED,
        error: '',
        accuracies: summary.accuracies,
        lastAcc: summary.lastAcc,
        incAcc: summary.incAcc,
        finishedAtMs: Date.now(),
      });
      this.log(
        id,
        `finished: Last-Acc ${summary.lastAcc.toFixed(2)}%, Inc-Acc ${summary.incAcc.toFixed(2)}%`,
      );
    } catch (error) {
      if (error instanceof ExperimentStopped) {
        record.status = active.reason ?? RunStatus.RUN_STATUS_INTERRUPTED;
        this.log(id, `stopped (${record.status}) at ${error.message.replace('run stopped at ', '')}`);
      } else if (
        isTransient(error) &&
        (this.transientFailures.get(id) ?? 0) < TRANSIENT_RETRIES.length &&
        !this.closing
      ) {
        // A peer or the store was briefly unreachable: continue from the latest checkpoint shortly.
        const attempt = this.transientFailures.get(id) ?? 0;
        this.transientFailures.set(id, attempt + 1);
        record.status = RunStatus.RUN_STATUS_INTERRUPTED;
        record.error = (error as Error).message;
        this.log(
          id,
          `interrupted (${record.error}); continuing from the latest checkpoint in ${TRANSIENT_RETRIES[attempt] / 1000} s`,
        );
        setTimeout(() => {
          if (this.records.get(id)?.status !== RunStatus.RUN_STATUS_INTERRUPTED || this.closing) return;
          record.resumedCount += 1;
          record.status = RunStatus.RUN_STATUS_QUEUED;
          void this.save(record).then(() => this.enqueue(id));
        }, TRANSIENT_RETRIES[attempt]).unref();
      } else {
        record.status = RunStatus.RUN_STATUS_FAILED;
        record.error = (error as Error).message;
        logger.error('run failed', { runId: id, error });
        this.log(id, `failed: ${record.error}`);
      }
      if (TERMINAL.has(record.status)) record.finishedAtMs = Date.now();
    }
    await this.save(record);
    await this.flushLog(id);
  }

  private progressEvent(
    e: ProgressEvent,
    sessionStart: number,
    first: (fraction: number) => number,
  ): Omit<RunEvent, 'runId' | 'atMs'> | undefined {
    if (e.phase === 'train') {
      const total = e.tasks * e.epochs * e.steps;
      const fraction = ((e.task * e.epochs + e.epoch) * e.steps + e.step + 1) / total;
      const start = first(fraction);
      const elapsed = (performance.now() - sessionStart) / 1000;
      const etaSeconds = fraction > start ? (elapsed * (1 - fraction)) / (fraction - start) : 0;
      return {
        train: {
          task: e.task,
          tasks: e.tasks,
          epoch: e.epoch,
          epochs: e.epochs,
          step: e.step,
          steps: e.steps,
          loss: e.loss,
          lr: e.lr,
          backboneLr: e.backboneLr,
          etaSeconds,
        },
      };
    }
    if (e.phase === 'align')
      return {
        phase: { phase: 'align', task: e.task, tasks: e.tasks, step: e.step, steps: e.steps, loss: e.loss },
      };
    if (e.phase === 'statistics')
      return {
        phase: { phase: 'statistics', task: e.task, tasks: e.tasks, step: 0, steps: e.classes, loss: 0 },
      };
    return undefined;
  }

  private log(id: string, message: string): void {
    const line = `${new Date().toISOString()} ${message}`;
    const lines = this.logs.get(id) ?? [];
    lines.push(line);
    if (lines.length > LOG_LINES) lines.splice(0, lines.length - LOG_LINES);
    this.logs.set(id, lines);
    this.options.logger.info(message, { runId: id });
    this.events.emit(id, { log: message });
  }

  private async flushLog(id: string): Promise<void> {
    const lines = this.logs.get(id);
    if (!lines?.length) return;
    const key = logKey(id, 'trainer.log');
    const before = (await this.options.store.exists(key))
      ? (await this.options.store.get(key)).toString('utf8')
      : '';
    await this.options.store.put(key, Buffer.from(`${before}${lines.join('\n')}\n`), {
      contentType: 'text/plain',
    });
    this.logs.delete(id);
  }

  private async save(record: RunRecord): Promise<void> {
    this.records.set(record.id, record);
    await putRunRecord(this.options.store, record.id, record);
    this.events.emit(record.id, { state: toRun(record) });
  }
}
