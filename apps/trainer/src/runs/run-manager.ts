import { randomBytes } from 'node:crypto';
import { runPrefix, runRecordKey, type ObjectStore } from '@slca/artifacts';
import { RunStatus, type Run } from '@slca/contracts';
import { canonicalJson } from '@slca/data';
import { configOf, ExperimentStopped, tagProblem } from '@slca/engine';
import {
  alreadyExists,
  callContext,
  failedPrecondition,
  invalidArgument,
  notFound,
  type ActingUser,
  type Logger,
} from '@slca/service-kit';
import { InProcessExecutor, type RunExecutor } from '../execution/executor';
import { WaitStopped, type DependencyAddresses } from '../execution/outages';
import type { Peers } from '../execution/peers';
import { outageGate, type ExecutionHooks } from '../execution/run-execution';
import { checkRunInputs } from '../execution/run-inputs';
import { experimentOfRecord, runSpecFrom, type RunRequest } from '../execution/run-spec';
import { executionInput } from './execution-input';
import { RetryPolicy, type Schedule } from './retry-policy';
import { listRunArtifacts, type RunObject } from './run-artifacts';
import { RunEvents } from './run-events';
import { RunLog } from './run-log';
import { RunProgress } from './run-progress';
import { RunQueue, type ActiveRun } from './run-queue';
import { ORPHANED, TERMINAL, toRun, type RunRecord } from './run-record';
import { RunRecords } from './run-records';
import { audit, auditStatusChange, checkMayManage, checkMayStart, statusWord, TRAINER } from './run-access';
import { SystemMeter } from './run-system';

export interface RunManagerOptions {
  store: ObjectStore;
  peers: Peers;
  logger: Logger;
  workers: number;
  checkpointEvery: number;
  /** Runs trained at once by this process (each uses every worker thread). */
  concurrency: number;
  executor?: RunExecutor;
  /** Pauses before a transiently failed run continues (default TRANSIENT_RETRY_DELAYS_MS). */
  retryDelaysMs?: readonly number[];
  /** Timers of retries and of record writes the store refused (tests pass their own). */
  schedule?: Schedule;
  /** Where the peers are, named in a run's status while it waits for one. */
  dependencies?: DependencyAddresses;
}

/** Tags a run may carry, and the length of its notes (UpdateRun). */
export const MAX_TAGS = 32;
export const MAX_NOTES = 10_000;
/** How stale ListRuns may be about runs other trainers wrote (the dashboard polls it every 2 s). */
export const LIST_RESCAN_MS = 10_000;

/**
 * Owns the runs of this trainer: their records in the object store, the queue, the in-process execution,
 * and their event streams. A run's record is written by one trainer at a time; a trainer that starts finds
 * the runs a dead one left behind (queued, running, interrupted) and continues them from their checkpoints.
 */
export class RunManager {
  readonly events = new RunEvents();
  private readonly records: RunRecords;
  private readonly queue: RunQueue;
  private readonly retries: RetryPolicy;
  private readonly logs: RunLog;
  private readonly executor: RunExecutor;

  constructor(private readonly options: RunManagerOptions) {
    this.executor = options.executor ?? new InProcessExecutor();
    this.records = new RunRecords(options.store, options.logger, { schedule: options.schedule });
    this.retries = new RetryPolicy(options.retryDelaysMs, options.schedule);
    this.logs = new RunLog(options.store);
    this.queue = new RunQueue(
      options.concurrency,
      // A run outlives the call that queued it: its logs and peer calls carry its own id, not that call's.
      (id, active) => callContext.run({ runId: id }, () => this.execute(id, active)),
      (id, error) => options.logger.error('run execution ended unexpectedly', { runId: id, error }),
      // Fair between users: the next run started is the oldest waiting one of the owner with the fewest
      // runs started recently.
      { ownerOf: (id) => this.records.get(id)?.owner ?? '' },
    );
  }

  /** Picks up the runs a previous trainer process left unfinished. */
  async recover(): Promise<string[]> {
    const resumed: string[] = [];
    // Every record, including those a call read in while the server was already up (a WatchRun that
    // came before this recovery): skipping them would leave their runs orphaned for good.
    for (const record of await this.records.loadAll()) {
      if (this.queue.active(record.id) || this.queue.queued().includes(record.id)) continue;
      if (ORPHANED.has(record.status)) {
        if (record.status !== RunStatus.RUN_STATUS_QUEUED) record.resumedCount += 1;
        record.status = RunStatus.RUN_STATUS_QUEUED;
        await this.save(record);
        this.queue.enqueue(record.id);
        resumed.push(record.id);
      }
    }
    if (resumed.length)
      this.options.logger.info('continuing runs left by a previous trainer', { runs: resumed });
    return resumed;
  }

  async start(req: RunRequest, actor: ActingUser = TRAINER): Promise<Run> {
    this.permitted(actor, 'start', () => checkMayStart(actor));
    const spec = runSpecFrom(req, {
      workers: this.options.workers,
      checkpointEvery: this.options.checkpointEvery,
      newId: () => `run-${new Date().toISOString().slice(0, 10)}-${randomBytes(4).toString('hex')}`,
    });
    const configJson = JSON.stringify(spec.experiment);
    const existing = await this.records.load(spec.runId);
    if (!existing || req.validateOnly) await checkRunInputs(spec.experiment, this.options.peers, spec.runId);
    if (existing && !req.validateOnly) {
      // Compared as experiments, so a record written before experiments had a schema still matches.
      const before = experimentOfRecord(existing.configJson);
      const same =
        canonicalJson(configOf(before)) === canonicalJson(spec.config) &&
        before.dataset === spec.experiment.dataset &&
        before.backbone === spec.experiment.backbone &&
        existing.method === spec.method;
      if (!same) throw alreadyExists(`run ${spec.runId} already exists with another configuration`);
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
      owner: actor.user,
    };
    if (req.validateOnly) return toRun(record);
    audit(record, actor.user, 'start', statusWord(record.status), record.createdAtMs, record.status);
    await this.save(record);
    const accepted = toRun(record);
    this.queue.enqueue(record.id);
    return accepted;
  }

  get(id: string): RunRecord {
    const record = this.records.get(id);
    if (!record) throw notFound(`run ${id} does not exist`);
    return record;
  }

  async find(id: string): Promise<RunRecord> {
    const record = await this.records.load(id);
    if (!record) throw notFound(`run ${id} does not exist`);
    return record;
  }

  async list(): Promise<RunRecord[]> {
    return (await this.records.loadAll({ maxAgeMs: LIST_RESCAN_MS })).sort(
      (a, b) => b.createdAtMs - a.createdAtMs,
    );
  }

  async cancel(id: string, actor: ActingUser = TRAINER): Promise<Run> {
    const record = await this.find(id);
    this.permitted(actor, 'cancel', () => checkMayManage(actor, record, 'cancel'), id);
    if (TERMINAL.has(record.status))
      throw failedPrecondition(`run ${id} has already ended (${record.status})`);
    const active = this.queue.active(id);
    if (active) {
      // Asked for now; the status changes when the execution has stopped (the trainer's own entry).
      audit(record, actor.user, 'cancel', `asked while ${statusWord(record.status)}`);
      active.reason = RunStatus.RUN_STATUS_CANCELLED;
      // The reason tells an executor a cancel (end the run's work) from a shutdown (leave it to resume).
      active.stop.abort(active.reason);
      await active.done;
    } else {
      this.queue.remove(id);
      record.status = RunStatus.RUN_STATUS_CANCELLED;
      record.finishedAtMs = Date.now();
      audit(record, actor.user, 'cancel', statusWord(record.status), record.finishedAtMs, record.status);
      await this.save(record);
    }
    return toRun(this.get(id));
  }

  async resume(id: string, actor: ActingUser = TRAINER): Promise<Run> {
    const record = await this.find(id);
    this.permitted(actor, 'resume', () => checkMayManage(actor, record, 'resume'), id);
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
    audit(record, actor.user, 'resume', statusWord(record.status), Date.now(), record.status);
    await this.save(record);
    const accepted = toRun(record);
    this.queue.enqueue(id);
    return accepted;
  }

  /**
   * Replaces what describes a run — tags, notes, archived — never what it ran. Tags follow the StartRun
   * rule; notes hold at most MAX_NOTES characters. Errors name the request's field.
   */
  async update(
    id: string,
    change: { tags?: string[]; notes?: string; archived?: boolean },
    actor: ActingUser = TRAINER,
  ): Promise<Run> {
    const record = await this.find(id);
    this.permitted(actor, 'update', () => checkMayManage(actor, record, 'update'), id);
    if (change.tags) {
      if (change.tags.length > MAX_TAGS) throw invalidArgument('tags.tags', `at most ${MAX_TAGS} tags`);
      for (const [i, tag] of change.tags.entries()) {
        const problem = tagProblem(tag);
        if (problem) throw invalidArgument(`tags.tags[${i}]`, problem);
      }
    }
    if (change.notes !== undefined && change.notes.length > MAX_NOTES)
      throw invalidArgument('notes', `at most ${MAX_NOTES} characters, got ${change.notes.length}`);
    const before = { tags: record.tags.join('\n'), notes: record.notes ?? '', archived: !!record.archived };
    if (change.tags) record.tags = [...new Set(change.tags)];
    if (change.notes !== undefined) record.notes = change.notes;
    if (change.archived !== undefined) record.archived = change.archived;
    // The audit log names what changed (the notes' text stays in the record, not in the log).
    const changed = [
      before.tags !== record.tags.join('\n') && `tags ${record.tags.join(', ') || '(none)'}`,
      before.notes !== (record.notes ?? '') && 'notes',
      before.archived !== !!record.archived && (record.archived ? 'archived' : 'not archived'),
    ].filter((f): f is string => typeof f === 'string');
    if (changed.length > 0) audit(record, actor.user, 'update', changed.join('; '));
    await this.save(record);
    return toRun(record);
  }

  /**
   * Deletes an ended run and every object under runs/<id>/, its record last (an interrupted delete can be
   * repeated and finishes the job). A run that may still train is refused: cancel it first.
   */
  async delete(id: string, actor: ActingUser = TRAINER): Promise<number> {
    const record = await this.find(id);
    this.permitted(actor, 'delete', () => checkMayManage(actor, record, 'delete'), id);
    if (!TERMINAL.has(record.status) || this.queue.active(id))
      throw failedPrecondition(
        `run ${id} is ${record.status}; only a succeeded, failed or cancelled run is deleted (cancel it first)`,
      );
    const store = this.options.store;
    const recordKey = runRecordKey(id);
    const keys = (await store.list(runPrefix(id))).filter((k) => k !== recordKey);
    for (const key of keys) await store.remove(key);
    await store.remove(recordKey);
    this.records.forget(id);
    // The audit log went with the run: the deletion itself is in the trainer's log.
    this.options.logger.info('run deleted', { runId: id, by: actor.user, objects: keys.length + 1 });
    return keys.length + 1;
  }

  /** Every committed object of a run with its size and SHA-256 (see `listRunArtifacts`). */
  async artifacts(id: string): Promise<RunObject[]> {
    await this.find(id);
    return listRunArtifacts(this.options.store, id);
  }

  /**
   * Stops every run at its next step boundary with a checkpoint; they resume when a trainer starts again.
   * Records the store refused earlier get one last write.
   */
  async shutdown(): Promise<void> {
    const running = this.queue.close();
    this.retries.close();
    for (const a of running) {
      a.reason ??= RunStatus.RUN_STATUS_INTERRUPTED;
      a.stop.abort(a.reason);
    }
    await Promise.all(running.map((a) => a.done));
    if (!(await this.records.flush()))
      this.options.logger.error('the object store still refuses some run records; they are lost', {
        runs: this.records.unsaved(),
      });
    this.records.close();
  }

  /** Trains one run through the executor and records how it ended. Never rejects. */
  private async execute(id: string, active: ActiveRun): Promise<void> {
    const record = this.get(id);
    record.status = RunStatus.RUN_STATUS_RUNNING;
    // The failure that interrupted it is over: a running run shows no error, only what it may wait for.
    record.error = '';
    record.waitingFor = '';
    record.startedAtMs ||= Date.now();
    await this.persist(record);
    const hooks = this.hooks(record);
    const input = executionInput(record, {
      store: this.options.store,
      peers: this.options.peers,
      logger: this.options.logger,
      signal: active.stop.signal,
      hooks,
      dependencies: this.options.dependencies,
    });
    try {
      const result = await this.executor.execute(input);
      const metrics = await outageGate(input).call('evaluator', () =>
        this.options.peers.metrics({ runId: id }),
      );
      const summary = metrics.metrics;
      if (!summary?.complete) throw new Error(`the evaluator has not seen every task of run ${id}`);
      if (summary.accuracies.join() !== result.accuracies.join())
        throw new Error(
          `the evaluator's accuracies for run ${id} differ from the ones it returned during training`,
        );
      this.retries.succeeded(id);
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
      this.ended(record, active, error);
    }
    record.waitingFor = '';
    await this.persist(record);
    await this.flushLog(id);
  }

  /** Writes the run's log, or keeps it for the next flush when the store fails. Never rejects. */
  private async flushLog(id: string): Promise<void> {
    await this.logs.flush(id).catch((error: unknown) =>
      this.options.logger.warn('could not write the run log; keeping it for the next flush', {
        runId: id,
        error,
      }),
    );
  }

  /** The record's state after the execution threw: stopped, interrupted for a retry, or failed. */
  private ended(record: RunRecord, active: ActiveRun, error: unknown): void {
    const id = record.id;
    let delay: number | undefined;
    if (error instanceof ExperimentStopped) {
      record.status = active.reason ?? RunStatus.RUN_STATUS_INTERRUPTED;
      this.log(id, `stopped (${record.status}) at ${error.message.replace('run stopped at ', '')}`);
    } else if (error instanceof WaitStopped || active.stop.signal.aborted) {
      // Asked to stop while it waited for a dependency: it continues from its latest checkpoint.
      record.status = active.reason ?? RunStatus.RUN_STATUS_INTERRUPTED;
      this.log(id, `stopped (${record.status}) ${(error as Error).message}`);
    } else if (!this.queue.closing && (delay = this.retries.nextDelay(id, error)) !== undefined) {
      // A peer or the store was briefly unreachable: continue from the latest checkpoint shortly.
      record.status = RunStatus.RUN_STATUS_INTERRUPTED;
      record.error = (error as Error).message;
      this.log(
        id,
        `interrupted (${record.error}); continuing from the latest checkpoint in ${delay / 1000} s`,
      );
      this.retries.later(id, delay, () => {
        if (this.records.get(id)?.status !== RunStatus.RUN_STATUS_INTERRUPTED || this.queue.closing) return;
        record.resumedCount += 1;
        record.status = RunStatus.RUN_STATUS_QUEUED;
        void this.persist(record).then(() => this.queue.enqueue(id));
      });
    } else {
      record.status = RunStatus.RUN_STATUS_FAILED;
      record.error = (error as Error).message;
      this.options.logger.error('run failed', { runId: id, error });
      this.log(id, `failed: ${record.error}`);
    }
    if (TERMINAL.has(record.status)) record.finishedAtMs = Date.now();
  }

  /** What an execution reports to: the record, the run's event stream and its log. */
  private hooks(record: RunRecord): ExecutionHooks {
    const id = record.id;
    const progress = new RunProgress(undefined, new SystemMeter(record.system));
    return {
      onProgress: (e) => {
        const event = progress.event(e);
        record.system = progress.system();
        if (event) this.events.emit(id, event);
      },
      // The record is written, or kept to write when the store answers again: training never waits on it
      // (the checkpoints themselves are found by listing the store).
      onPrepared: async ({ splitId, tasks, backend, device, lineage }) => {
        Object.assign(record, { splitId, tasks, backend, device, lineage });
        await this.persist(record);
      },
      onCheckpoint: async ({ prefix, seq, state, reason }) => {
        record.latestCheckpoint = prefix;
        record.checkpointSeq = seq;
        await this.persist(record);
        this.events.emit(id, {
          checkpoint: { prefix, task: state.task, epoch: state.epoch, step: state.step },
        });
        if (reason !== 'steps') this.log(id, `checkpoint ${prefix} (${reason})`);
      },
      onEvaluated: async ({ task, accuracy, perTask }) => {
        record.tasksDone = task + 1;
        record.accuracies = [...record.accuracies.slice(0, task), accuracy];
        await this.persist(record);
        this.events.emit(id, { evaluated: { task, accuracy, perTask } });
        this.log(id, `task ${task + 1}/${record.tasks}: A_t = ${accuracy.toFixed(2)}%`);
        await this.flushLog(id);
      },
      // Told at once, not after the record is written: the store may be what the run waits for.
      onWaiting: (waitingFor) => {
        record.waitingFor = waitingFor;
        this.events.emit(id, { state: toRun(record) });
        void this.records.saveOrDefer(record);
      },
      log: (message) => this.log(id, message),
    };
  }

  private log(id: string, message: string): void {
    this.logs.append(id, message);
    this.options.logger.info(message, { runId: id });
    this.events.emit(id, { log: message });
  }

  /** Runs an owner or role check; a refusal is logged (who, what, which run) and reaches the caller. */
  private permitted(actor: ActingUser, action: string, check: () => void, runId?: string): void {
    try {
      check();
    } catch (error) {
      this.options.logger.warn('permission denied', {
        user: actor.user,
        role: actor.role,
        action,
        ...(runId ? { runId } : {}),
      });
      throw error;
    }
  }

  /** Writes the record and tells its watchers; a store failure reaches the caller. */
  private async save(record: RunRecord): Promise<void> {
    auditStatusChange(record);
    await this.records.save(record);
    this.events.emit(record.id, { state: toRun(record) });
  }

  /**
   * Writes the record, or keeps it to write later when the store fails (logged, never thrown), and tells
   * its watchers either way: this trainer's memory is the run's state.
   */
  private async persist(record: RunRecord): Promise<void> {
    auditStatusChange(record);
    await this.records.saveOrDefer(record);
    this.events.emit(record.id, { state: toRun(record) });
  }
}
