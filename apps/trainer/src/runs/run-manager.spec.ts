import { getRunRecord, logKey, ObjectStoreError, putRunRecord, runRecordKey } from '@slca/artifacts';
import { RunStatus, type RunEvent } from '@slca/contracts';
import { ExperimentStopped, type ExperimentResult, type ExperimentState } from '@slca/engine';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FlakyStore, manualSchedule, queuedRecord, recordingLogger, settle } from '../../test/run-fakes';
import type { RunExecutor } from '../execution/executor';
import { WaitStopped } from '../execution/outages';
import type { Peers } from '../execution/peers';
import type { ExecutionHooks, ExecutionInput } from '../execution/run-execution';
import { RunManager } from './run-manager';
import type { RunRecord } from './run-record';

const RUN = 'run-a';
const ACCURACIES = [90, 80];

const stored = (over: Partial<RunRecord> = {}): RunRecord =>
  queuedRecord(RUN, {
    seed: 1993,
    configJson: JSON.stringify({ method: 'slca', seed: 1993 }),
    createdAtMs: Date.UTC(2026, 0, 2),
    checkpointSeq: 3,
    ...over,
  });

const storeDown = () =>
  new ObjectStoreError('unavailable', 'put', 'runs/run-a/run.json', undefined, {
    detail: 'connection refused',
  });

/** Trains a two-task run through the hooks, as an executor would. */
async function trainThroughHooks(hooks: ExecutionHooks): Promise<ExperimentResult> {
  await hooks.onPrepared({ splitId: 'split-1', tasks: 2, backend: 'cpu' } as Parameters<
    ExecutionHooks['onPrepared']
  >[0]);
  for (const [task, accuracy] of ACCURACIES.entries()) {
    hooks.onProgress({
      phase: 'train',
      task,
      tasks: 2,
      epoch: 0,
      epochs: 1,
      step: 0,
      steps: 1,
      loss: 1,
      lr: 0.1,
      backboneLr: 0.01,
      images: 4,
    });
    const state = { task, epoch: 0, step: 0 } as ExperimentState;
    await hooks.onCheckpoint({
      prefix: `runs/${RUN}/checkpoints/0000000${task + 4}/`,
      seq: task + 4,
      state,
      reason: 'task',
    });
    await hooks.onEvaluated({ task, accuracy, perTask: [accuracy] });
  }
  return { accuracies: ACCURACIES } as ExperimentResult;
}

function setup(attempts: ((input: ExecutionInput) => Promise<ExperimentResult>)[]) {
  const store = new FlakyStore();
  const timers = manualSchedule();
  const { logger, lines } = recordingLogger();
  const inputs: ExecutionInput[] = [];
  const executor: RunExecutor = {
    kind: 'fake',
    execute: (input) => {
      inputs.push(input);
      const attempt = attempts[inputs.length - 1];
      if (!attempt) throw new Error('no more attempts planned');
      return attempt(input);
    },
  };
  const peers = {
    metrics: async () => ({
      metrics: { complete: true, accuracies: ACCURACIES, lastAcc: 80, incAcc: 85 },
    }),
  } as unknown as Peers;
  const manager = new RunManager({
    store,
    peers,
    logger,
    workers: 1,
    checkpointEvery: 10,
    concurrency: 1,
    executor,
    retryDelaysMs: [5],
    schedule: timers.schedule,
  });
  const events: RunEvent[] = [];
  manager.events.subscribe(RUN, (e) => void events.push(e));
  const record = async () => {
    const down = store.down;
    store.down = false;
    const r = await getRunRecord<RunRecord>(store, RUN);
    store.down = down;
    return r;
  };
  const until = async (what: string, probe: () => boolean) => {
    for (let i = 0; i < 200 && !probe(); i += 1) await settle(1);
    if (!probe()) throw new Error(`never: ${what}`);
  };
  return { store, timers, lines, inputs, manager, events, record, until };
}

describe('RunManager', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => void unhandled.push(reason);
  beforeEach(() => {
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(() => {
    process.off('unhandledRejection', onUnhandled);
  });

  it('continues an orphaned run that a call read in before the recovery ran (a WatchRun racing the start)', async () => {
    const t = setup([(input) => trainThroughHooks(input.hooks)]);
    await putRunRecord(t.store, RUN, { ...stored(), status: RunStatus.RUN_STATUS_RUNNING });
    // The server listens before it recovers: a client's read caches the record first.
    expect((await t.manager.find(RUN)).status).toBe(RunStatus.RUN_STATUS_RUNNING);
    expect(await t.manager.recover()).toEqual([RUN]);
    await t.until('the run succeeds', () => t.manager.get(RUN).status === RunStatus.RUN_STATUS_SUCCEEDED);
    expect(t.manager.get(RUN).resumedCount).toBe(1);
  });

  it('continues a run a previous trainer left queued, from its record, and records its success', async () => {
    const t = setup([(input) => trainThroughHooks(input.hooks)]);
    await putRunRecord(t.store, RUN, stored());
    expect(await t.manager.recover()).toEqual([RUN]);
    await t.until('the run succeeds', () => t.manager.get(RUN).status === RunStatus.RUN_STATUS_SUCCEEDED);
    await settle();

    expect(t.inputs[0]).toMatchObject({
      runId: RUN,
      config: { method: 'slca', seed: 1993 },
      checkpointSeq: 3,
      checkpointEvery: 10,
    });
    expect(await t.record()).toMatchObject({
      status: RunStatus.RUN_STATUS_SUCCEEDED,
      splitId: 'split-1',
      tasks: 2,
      tasksDone: 2,
      accuracies: ACCURACIES,
      lastAcc: 80,
      incAcc: 85,
      checkpointSeq: 5,
      latestCheckpoint: `runs/${RUN}/checkpoints/00000005/`,
    });
    const log = (await t.store.get(logKey(RUN, 'trainer.log'))).toString();
    expect(log).toMatch(
      /task 1\/2: A_t = 90.00%\n.*task 2\/2: A_t = 80.00%\n.*finished: Last-Acc 80.00%, Inc-Acc 85.00%\n$/s,
    );
    expect(t.events.find((e) => e.train)?.train).toMatchObject({ task: 0, etaSeconds: 0 });
    expect(t.events.filter((e) => e.evaluated).map((e) => e.evaluated?.accuracy)).toEqual(ACCURACIES);
    expect(t.events.at(-1)?.state?.status).toBe(RunStatus.RUN_STATUS_SUCCEEDED);
    expect(unhandled).toEqual([]);
  });

  it('when the object store dies mid-run: no unhandled rejection, the record kept in memory and written once the store is back', async () => {
    const t = setup([
      async (input) => {
        await input.hooks.onPrepared({ splitId: 'split-1', tasks: 2, backend: 'cpu' } as Parameters<
          ExecutionHooks['onPrepared']
        >[0]);
        t.store.down = true;
        throw storeDown();
      },
      (input) => trainThroughHooks(input.hooks),
    ]);
    await putRunRecord(t.store, RUN, stored());
    await t.manager.recover();
    await t.until(
      'the run is interrupted',
      () => t.manager.get(RUN).status === RunStatus.RUN_STATUS_INTERRUPTED,
    );
    await settle();

    expect(unhandled).toEqual([]);
    // The store still holds the state from before it died; memory (what GetRun serves) has the new one.
    expect((await t.record())?.status).toBe(RunStatus.RUN_STATUS_RUNNING);
    expect(t.manager.get(RUN).error).toMatch(/connection refused/);
    expect(t.lines).toContainEqual(
      expect.objectContaining({ level: 'error', runId: RUN, msg: expect.stringMatching(/write later/) }),
    );
    expect(t.events.at(-1)?.state?.status).toBe(RunStatus.RUN_STATUS_INTERRUPTED);

    // The store comes back; the timers (record retry, run retry) fire: the run continues and succeeds.
    t.store.down = false;
    t.timers.fire();
    await t.until('the run succeeds', () => t.manager.get(RUN).status === RunStatus.RUN_STATUS_SUCCEEDED);
    await settle();
    expect(await t.record()).toMatchObject({ status: RunStatus.RUN_STATUS_SUCCEEDED, resumedCount: 1 });
    // Lines the dead store could not take were kept and written with the later ones.
    const log = (await t.store.get(logKey(RUN, 'trainer.log'))).toString();
    expect(log).toMatch(
      /interrupted \(.*connection refused.*\); continuing from the latest checkpoint in 0.005 s/,
    );
    expect(log).toMatch(/finished: Last-Acc/);
    expect(unhandled).toEqual([]);
  });

  it('a run whose RUNNING record cannot be written still trains, and its record lands with the next write', async () => {
    const t = setup([(input) => trainThroughHooks(input.hooks)]);
    await putRunRecord(t.store, RUN, stored());
    let failed = 0;
    t.store.failPut = (key, body) => {
      if (key !== runRecordKey(RUN) || failed > 0) return false;
      const record = JSON.parse(Buffer.from(body).toString()) as RunRecord;
      if (record.status !== RunStatus.RUN_STATUS_RUNNING) return false;
      failed += 1;
      return true;
    };
    await t.manager.recover();
    await t.until('the run succeeds', () => t.manager.get(RUN).status === RunStatus.RUN_STATUS_SUCCEEDED);
    await settle();
    expect(failed).toBe(1);
    expect(t.inputs).toHaveLength(1);
    expect(t.lines).toContainEqual(
      expect.objectContaining({ level: 'error', msg: expect.stringMatching(/write later/) }),
    );
    expect(await t.record()).toMatchObject({ status: RunStatus.RUN_STATUS_SUCCEEDED, splitId: 'split-1' });
    expect(unhandled).toEqual([]);
  });

  it('a request whose record write fails gets the store’s error (never an unhandled rejection)', async () => {
    const t = setup([]);
    await putRunRecord(t.store, RUN, stored({ status: RunStatus.RUN_STATUS_FAILED }));
    await t.manager.find(RUN);
    t.store.down = true;
    await expect(t.manager.resume(RUN)).rejects.toMatchObject({ code: 'unavailable' });
    await settle();
    expect(t.inputs).toHaveLength(0);
    expect(unhandled).toEqual([]);
  });

  it('continues a run for as long as its transient failures last; running again, it shows no old error', async () => {
    const seenWhileRunning: { status: RunStatus; error: string }[] = [];
    const splitterDown = async () => {
      const { status, error } = t.manager.get(RUN);
      seenWhileRunning.push({ status, error });
      throw Object.assign(new Error('splitter unavailable'), { code: 14 });
    };
    const t = setup([
      ...Array(6).fill(splitterDown),
      async (input: ExecutionInput) => {
        const { status, error } = t.manager.get(RUN);
        seenWhileRunning.push({ status, error });
        return trainThroughHooks(input.hooks);
      },
    ]);
    await putRunRecord(t.store, RUN, stored());
    await t.manager.recover();
    for (let failure = 1; failure <= 6; failure += 1) {
      await t.until(
        `failure ${failure}`,
        () => t.inputs.length === failure && t.manager.get(RUN).status === RunStatus.RUN_STATUS_INTERRUPTED,
      );
      expect(t.manager.get(RUN).error).toBe('splitter unavailable');
      // More failures than any fixed schedule: the pause repeats, the run is never failed for it.
      expect(t.timers.pending()).toContain(5);
      t.timers.fire();
    }
    await t.until('the run succeeds', () => t.manager.get(RUN).status === RunStatus.RUN_STATUS_SUCCEEDED);
    expect(t.inputs).toHaveLength(7);
    expect(seenWhileRunning).toEqual(Array(7).fill({ status: RunStatus.RUN_STATUS_RUNNING, error: '' }));
    expect(t.manager.get(RUN)).toMatchObject({ error: '', resumedCount: 6 });
  });

  it('a run waiting for a dependency says which in its state, and stops saying it when that answers', async () => {
    let release!: () => void;
    const t = setup([
      async (input) => {
        input.hooks.onWaiting?.('the evaluator at 127.0.0.1:50054');
        await new Promise<void>((done) => (release = done));
        input.hooks.onWaiting?.('');
        return trainThroughHooks(input.hooks);
      },
    ]);
    await putRunRecord(t.store, RUN, stored());
    await t.manager.recover();
    await t.until('it waits', () => t.manager.get(RUN).waitingFor !== '' && !!release);
    expect(t.manager.get(RUN)).toMatchObject({
      status: RunStatus.RUN_STATUS_RUNNING,
      waitingFor: 'the evaluator at 127.0.0.1:50054',
    });
    expect(t.events.at(-1)?.state?.waitingFor).toBe('the evaluator at 127.0.0.1:50054');
    release();
    await t.until('the run succeeds', () => t.manager.get(RUN).status === RunStatus.RUN_STATUS_SUCCEEDED);
    expect(t.manager.get(RUN).waitingFor).toBe('');
    expect(t.events.filter((e) => e.state).at(-1)?.state?.waitingFor).toBe('');
  });

  it('a run stopped while it waits for a dependency is interrupted, not failed', async () => {
    const t = setup([
      (input) =>
        new Promise<ExperimentResult>((_, reject) =>
          input.signal.addEventListener('abort', () =>
            reject(new WaitStopped('the evaluator at 127.0.0.1:50054')),
          ),
        ),
    ]);
    await putRunRecord(t.store, RUN, stored());
    await t.manager.recover();
    await settle();
    await t.manager.shutdown();
    expect(t.manager.get(RUN).status).toBe(RunStatus.RUN_STATUS_INTERRUPTED);
    expect(unhandled).toEqual([]);
  });

  it('cancel stops an active run with the cancelled status; shutdown leaves the others interrupted', async () => {
    const stopped = (input: ExecutionInput) =>
      new Promise<ExperimentResult>((_, reject) =>
        input.signal.addEventListener('abort', () =>
          reject(new ExperimentStopped({ task: 0, epoch: 0, step: 1 } as ExperimentState)),
        ),
      );
    const t = setup([stopped, stopped]);
    await putRunRecord(t.store, RUN, stored());
    await t.manager.recover();
    await settle();
    await expect(t.manager.cancel(RUN)).resolves.toMatchObject({ status: RunStatus.RUN_STATUS_CANCELLED });
    expect((await t.record())?.status).toBe(RunStatus.RUN_STATUS_CANCELLED);

    await t.manager.resume(RUN);
    await settle();
    t.store.down = true; // the store is gone as the trainer stops: the last write fails, quietly
    await t.manager.shutdown();
    expect(t.manager.get(RUN).status).toBe(RunStatus.RUN_STATUS_INTERRUPTED);
    expect(t.lines).toContainEqual(
      expect.objectContaining({ level: 'error', msg: expect.stringMatching(/still refuses/), runs: [RUN] }),
    );
    expect(t.timers.pending()).toEqual([]);
    expect(unhandled).toEqual([]);
  });
  it('keeps every audit entry when changes race with the run’s own status changes, and stores them with the record', async () => {
    const stopped = (input: ExecutionInput) =>
      new Promise<ExperimentResult>((_, reject) =>
        input.signal.addEventListener('abort', () =>
          reject(new ExperimentStopped({ task: 0, epoch: 0, step: 1 } as ExperimentState)),
        ),
      );
    const t = setup([stopped]);
    await putRunRecord(t.store, RUN, stored({ owner: 'ada' }));
    await t.manager.recover();
    await settle();
    const ada = { user: 'ada', role: 'researcher' } as const;
    // Ten edits and a cancel, all in flight at once while the record's writes queue behind each other.
    await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => t.manager.update(RUN, { notes: `note ${i}` }, ada)),
      t.manager.cancel(RUN, { user: 'root', role: 'admin' }),
    ]);
    await settle();
    const entries = (await t.record())?.audit?.map((e) => `${e.who} ${e.action} ${e.detail}`);
    expect(entries).toEqual([
      // The recovery queued it again, then it ran.
      'trainer status queued',
      'trainer status running',
      ...Array.from({ length: 10 }, () => 'ada update notes'),
      'root cancel asked while running',
      'trainer status cancelled',
    ]);
    expect(t.manager.get(RUN).notes).toBe('note 9');
    // An edit that changes nothing is not a change.
    await t.manager.update(RUN, { notes: 'note 9' }, ada);
    expect(t.manager.get(RUN).audit).toHaveLength(14);
  });

  it('UpdateRun replaces tags, notes and the archived flag, refuses a bad tag by its index, and stores it', async () => {
    const t = setup([]);
    await putRunRecord(t.store, RUN, stored({ status: RunStatus.RUN_STATUS_SUCCEEDED, tags: ['old'] }));
    const run = await t.manager.update(RUN, {
      tags: ['paper', 'paper', 'ablation'],
      notes: 'lr 0.01 looks high',
    });
    expect(run).toMatchObject({ tags: ['paper', 'ablation'], notes: 'lr 0.01 looks high', archived: false });
    await t.manager.update(RUN, { archived: true });
    expect(await t.record()).toMatchObject({
      tags: ['paper', 'ablation'],
      notes: 'lr 0.01 looks high',
      archived: true,
    });
    await expect(t.manager.update(RUN, { tags: ['ok', '!bad'] })).rejects.toThrow(
      /^tags\.tags\[1\]: "!bad" must match/,
    );
    await expect(t.manager.update(RUN, { notes: 'x'.repeat(10_001) })).rejects.toThrow(
      'notes: at most 10000 characters, got 10001',
    );
    // A refused update changes nothing.
    expect((await t.record())?.tags).toEqual(['paper', 'ablation']);
  });

  it('DeleteRun removes every object of an ended run, its record last; refuses one that may still train', async () => {
    const t = setup([]);
    await putRunRecord(t.store, RUN, stored({ status: RunStatus.RUN_STATUS_RUNNING }));
    await t.store.put(`runs/${RUN}/metrics/summary.json`, Buffer.from('{}'));
    await t.store.put('runs/run-b/run.json', Buffer.from('{}'));
    await expect(t.manager.delete(RUN)).rejects.toThrow(
      'only a succeeded, failed or cancelled run is deleted (cancel it first)',
    );
    expect(await t.store.list(`runs/${RUN}/`)).toHaveLength(2);

    await t.manager.update(RUN, {});
    t.manager.get(RUN).status = RunStatus.RUN_STATUS_CANCELLED;
    const removed: string[] = [];
    const remove = t.store.remove.bind(t.store);
    t.store.remove = async (key: string) => {
      removed.push(key);
      await remove(key);
    };
    expect(await t.manager.delete(RUN)).toBe(2);
    expect(removed).toEqual([`runs/${RUN}/metrics/summary.json`, runRecordKey(RUN)]);
    expect(await t.store.list(`runs/${RUN}/`)).toEqual([]);
    expect(await t.store.list('runs/run-b/')).toEqual(['runs/run-b/run.json']);
    await expect(t.manager.find(RUN)).rejects.toThrow(`run ${RUN} does not exist`);
  });
});
