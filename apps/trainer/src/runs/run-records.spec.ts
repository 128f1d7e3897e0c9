import { getRunRecord, putRunRecord, runRecordKey } from '@slca/artifacts';
import { RunStatus } from '@slca/contracts';
import { describe, expect, it } from 'vitest';
import { FlakyStore, manualSchedule, queuedRecord, recordingLogger, settle } from '../../test/run-fakes';
import type { RunRecord } from './run-record';
import { RunRecords, UNSAVED_RETRY_MS } from './run-records';

const record = queuedRecord;

function setup() {
  const store = new FlakyStore();
  const timers = manualSchedule();
  const { logger, lines } = recordingLogger();
  const clock = { ms: 0 };
  const records = new RunRecords(store, logger, { schedule: timers.schedule, now: () => clock.ms });
  const stored = (id: string) => getRunRecord<RunRecord>(store, id);
  return { store, timers, lines, records, stored, clock };
}

describe('RunRecords', () => {
  it('remembers and writes a record as runs/<id>/run.json', async () => {
    const t = setup();
    const r = record('a');
    await t.records.save(r);
    expect(t.records.get('a')).toBe(r);
    expect(t.store.puts).toEqual([runRecordKey('a')]);
    expect(await t.stored('a')).toEqual(r);
  });

  it('loads a record from the store once, then serves it from memory', async () => {
    const t = setup();
    await putRunRecord(t.store, 'a', record('a', { seed: 7 }));
    const first = await t.records.load('a');
    expect(first?.seed).toBe(7);
    t.store.down = true;
    expect(await t.records.load('a')).toBe(first);
    t.store.down = false;
    expect(await t.records.load('missing')).toBeUndefined();
  });

  it('callers loading one run at the same time share one record, so no change is lost to a stale copy', async () => {
    const t = setup();
    await putRunRecord(t.store, 'a', record('a', { resumedCount: 0 }));
    // A WatchRun's read of the record is slow; meanwhile recovery scans the store and counts a resume.
    const release = t.store.holdNextGet();
    const watching = t.records.load('a');
    const recovering = (async () => {
      const [recovered] = await t.records.loadAll();
      recovered.resumedCount += 1;
      await t.records.save(recovered);
      return recovered;
    })();
    await settle();
    release();
    const recovered = await recovering;
    expect(await watching).toBe(recovered);
    expect(t.records.get('a')?.resumedCount).toBe(1);
    expect((await t.stored('a'))?.resumedCount).toBe(1);
  });

  it('a record saved while the store is read wins over the stored copy', async () => {
    const t = setup();
    await putRunRecord(t.store, 'a', record('a', { seed: 1 }));
    const reading = t.records.load('a');
    const mine = record('a', { seed: 2 });
    const saved = t.records.save(mine);
    expect(await reading).toBe(mine);
    await saved;
    expect(t.records.get('a')).toBe(mine);
  });

  it('a run forgotten while its record is read is not taken back in', async () => {
    const t = setup();
    await putRunRecord(t.store, 'a', record('a'));
    const reading = t.records.load('a');
    t.records.forget('a');
    // A read started meanwhile (the run created again) is not cut short by the forgotten one ending.
    const release = t.store.holdNextGet();
    const again = t.records.load('a');
    expect(await reading).toBeUndefined();
    expect(t.records.has('a')).toBe(false);
    expect(t.records.load('a')).toBe(again);
    release();
    expect((await again)?.id).toBe('a');
    expect(t.records.get('a')).toBe(await again);
  });

  it('loads the records it does not know yet, keeping the ones in memory', async () => {
    const t = setup();
    const mine = record('a', { seed: 1 });
    await t.records.save(mine);
    await putRunRecord(t.store, 'a', record('a', { seed: 2 })); // another writer: memory wins here
    await putRunRecord(t.store, 'b', record('b'));
    expect((await t.records.loadUnknown()).map((r) => r.id)).toEqual(['b']);
    expect(await t.records.loadUnknown()).toEqual([]);
    expect(t.records.get('a')).toBe(mine);
    expect((await t.records.loadAll()).map((r) => r.id).sort()).toEqual(['a', 'b']);
  });

  it('save rejects when the store fails, and keeps the record in memory as unsaved', async () => {
    const t = setup();
    t.store.down = true;
    const r = record('a');
    await expect(t.records.save(r)).rejects.toMatchObject({ code: 'unavailable' });
    expect(t.records.get('a')).toBe(r);
    expect(t.records.unsaved()).toEqual(['a']);
    expect(t.timers.pending()).toEqual([UNSAVED_RETRY_MS]);
  });

  it('saveOrDefer never rejects: it logs the failure and resolves to whether it wrote', async () => {
    const t = setup();
    t.store.down = true;
    await expect(t.records.saveOrDefer(record('a'))).resolves.toBe(false);
    expect(t.lines).toContainEqual(
      expect.objectContaining({ level: 'error', runId: 'a', msg: expect.stringMatching(/write later/) }),
    );
    t.store.down = false;
    await expect(t.records.saveOrDefer(record('a'))).resolves.toBe(true);
    expect(t.records.unsaved()).toEqual([]);
  });

  it('writes an unsaved record, as its latest state, when the retry timer fires', async () => {
    const t = setup();
    const r = record('a');
    t.store.down = true;
    await t.records.saveOrDefer(r);
    r.status = RunStatus.RUN_STATUS_FAILED; // changed in memory after the failed write
    t.store.down = false;
    expect(await t.stored('a')).toBeUndefined();
    t.timers.fire();
    await settle();
    expect((await t.stored('a'))?.status).toBe(RunStatus.RUN_STATUS_FAILED);
    expect(t.records.unsaved()).toEqual([]);
    expect(t.timers.pending()).toEqual([]);
  });

  it('sets the timer again while the store stays down, one timer at a time', async () => {
    const t = setup();
    t.store.down = true;
    await t.records.saveOrDefer(record('a'));
    await t.records.saveOrDefer(record('b'));
    expect(t.timers.pending()).toEqual([UNSAVED_RETRY_MS]);
    t.timers.fire();
    await settle();
    expect(t.records.unsaved().sort()).toEqual(['a', 'b']);
    expect(t.timers.pending()).toEqual([UNSAVED_RETRY_MS]);
  });

  it('the next successful write also writes the other unsaved records, without waiting for the timer', async () => {
    const t = setup();
    t.store.down = true;
    await t.records.saveOrDefer(record('a'));
    await t.records.saveOrDefer(record('b'));
    t.store.down = false;
    await t.records.save(record('b', { seed: 9 }));
    await settle();
    expect(await t.stored('a')).toEqual(record('a'));
    expect((await t.stored('b'))?.seed).toBe(9);
    expect(t.records.unsaved()).toEqual([]);
    expect(t.timers.pending()).toEqual([]);
  });

  it('writes one record’s states in order: an older state never lands after a newer one', async () => {
    const t = setup();
    const r = record('a');
    const writes = [t.records.save(r)];
    r.status = RunStatus.RUN_STATUS_RUNNING;
    writes.push(t.records.save(r));
    r.status = RunStatus.RUN_STATUS_SUCCEEDED;
    writes.push(t.records.save(r));
    await Promise.all(writes);
    expect((await t.stored('a'))?.status).toBe(RunStatus.RUN_STATUS_SUCCEEDED);
  });

  it('flush writes what is unsaved and says whether all of it landed; close stops the timer', async () => {
    const t = setup();
    t.store.down = true;
    await t.records.saveOrDefer(record('a'));
    expect(await t.records.flush()).toBe(false);
    t.store.down = false;
    expect(await t.records.flush()).toBe(true);
    expect(await t.stored('a')).toEqual(record('a'));
    t.store.down = true;
    await t.records.saveOrDefer(record('b'));
    t.records.close();
    expect(t.timers.pending()).toEqual([]);
    expect(await t.records.flush()).toBe(false);
    expect(t.timers.pending()).toEqual([]);
  });
  it('a polled list scans the store at most once per interval; the runs it holds stay current', async () => {
    const t = setup();
    let scans = 0;
    const list = t.store.list.bind(t.store);
    t.store.list = async (prefix: string) => {
      scans += 1;
      return list(prefix);
    };
    await putRunRecord(t.store, 'other-a', record('other-a'));
    expect((await t.records.loadAll({ maxAgeMs: 10_000 })).map((r) => r.id)).toEqual(['other-a']);
    expect(scans).toBe(1);
    // Another trainer writes a run: not seen until the interval is over, and no scan meanwhile.
    await putRunRecord(t.store, 'other-b', record('other-b'));
    await t.records.save(record('mine'));
    t.clock.ms = 9_999;
    expect((await t.records.loadAll({ maxAgeMs: 10_000 })).map((r) => r.id).sort()).toEqual([
      'mine',
      'other-a',
    ]);
    expect(scans).toBe(1);
    t.clock.ms = 10_000;
    expect((await t.records.loadAll({ maxAgeMs: 10_000 })).map((r) => r.id).sort()).toEqual([
      'mine',
      'other-a',
      'other-b',
    ]);
    expect(scans).toBe(2);
    // Without an age, every call scans (recovery at start).
    await t.records.loadAll();
    expect(scans).toBe(3);
  });
});
