import { logKey } from '@slca/artifacts';
import { describe, expect, it } from 'vitest';
import { FlakyStore } from '../../test/run-fakes';
import { LineRing, RUN_LOG_LINES, RunLog } from './run-log';

const at = (s: number) => () => new Date(Date.UTC(2026, 0, 2, 3, 4, s));
const KEY = logKey('r1', 'trainer.log');

describe('LineRing', () => {
  it('keeps the newest lines up to its capacity, oldest first', () => {
    const ring = new LineRing(3);
    for (const line of ['a', 'b', 'c', 'd', 'e']) ring.push(line);
    expect(ring.size).toBe(3);
    expect(ring.lines()).toEqual(['c', 'd', 'e']);
  });

  it('drains to empty and fills again', () => {
    const ring = new LineRing(2);
    ring.push('a');
    expect(ring.drain()).toEqual(['a']);
    expect(ring.size).toBe(0);
    expect(ring.lines()).toEqual([]);
    for (const line of ['b', 'c', 'd']) ring.push(line);
    expect(ring.drain()).toEqual(['c', 'd']);
  });

  it('refuses a capacity that holds nothing', () => {
    expect(() => new LineRing(0)).toThrow(RangeError);
  });
});

describe('RunLog', () => {
  it('timestamps lines and appends them to runs/<id>/logs/trainer.log on flush, after what is there', async () => {
    const store = new FlakyStore();
    const log = new RunLog(store, { now: at(5) });
    expect(log.append('r1', 'preparing')).toBe('2026-01-02T03:04:05.000Z preparing');
    log.append('r1', 'task 1/2');
    await log.flush('r1');
    expect(log.pending('r1')).toEqual([]);
    log.append('r1', 'finished');
    await log.flush('r1');
    expect((await store.get(KEY)).toString()).toBe(
      '2026-01-02T03:04:05.000Z preparing\n2026-01-02T03:04:05.000Z task 1/2\n2026-01-02T03:04:05.000Z finished\n',
    );
  });

  it('writes nothing when nothing is buffered', async () => {
    const store = new FlakyStore();
    await new RunLog(store).flush('r1');
    expect(store.puts).toEqual([]);
  });

  it('keeps each run’s lines apart', async () => {
    const store = new FlakyStore();
    const log = new RunLog(store, { now: at(0) });
    log.append('r1', 'one');
    log.append('r2', 'two');
    await log.flush('r2');
    expect(store.puts).toEqual([logKey('r2', 'trainer.log')]);
    expect(log.pending('r1')).toEqual(['2026-01-02T03:04:00.000Z one']);
  });

  it('buffers at most maxLines (RUN_LOG_LINES by default) between flushes, dropping the oldest', async () => {
    expect(RUN_LOG_LINES).toBe(2_000);
    const store = new FlakyStore();
    const log = new RunLog(store, { maxLines: 2, now: at(0) });
    for (const m of ['a', 'b', 'c']) log.append('r1', m);
    await log.flush('r1');
    expect((await store.get(KEY)).toString()).toBe(
      '2026-01-02T03:04:00.000Z b\n2026-01-02T03:04:00.000Z c\n',
    );
  });

  it('a failed flush rejects and keeps its lines ahead of newer ones for the next flush', async () => {
    const store = new FlakyStore();
    const log = new RunLog(store, { now: at(0) });
    log.append('r1', 'first');
    store.down = true;
    await expect(log.flush('r1')).rejects.toMatchObject({ code: 'unavailable' });
    log.append('r1', 'second');
    expect(log.pending('r1')).toEqual(['2026-01-02T03:04:00.000Z first', '2026-01-02T03:04:00.000Z second']);
    store.down = false;
    await log.flush('r1');
    expect((await store.get(KEY)).toString()).toBe(
      '2026-01-02T03:04:00.000Z first\n2026-01-02T03:04:00.000Z second\n',
    );
  });

  it('flushes of one run go one after another, and a line logged during a flush is not lost', async () => {
    const store = new FlakyStore();
    const log = new RunLog(store, { now: at(0) });
    log.append('r1', 'a');
    const first = log.flush('r1');
    log.append('r1', 'b'); // while the first flush reads the file
    const second = log.flush('r1');
    await Promise.all([first, second]);
    expect((await store.get(KEY)).toString()).toBe(
      '2026-01-02T03:04:00.000Z a\n2026-01-02T03:04:00.000Z b\n',
    );
    expect(log.pending('r1')).toEqual([]);
  });
});
