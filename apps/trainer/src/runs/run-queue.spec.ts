import { describe, expect, it } from 'vitest';
import { settle } from '../../test/run-fakes';
import { RunQueue, type ActiveRun, type RunQueueOptions } from './run-queue';

/** A queue whose runs end when the test resolves (or rejects) them. */
function controlled(concurrency: number, options: RunQueueOptions = {}) {
  const started: string[] = [];
  const finish = new Map<string, { resolve: () => void; reject: (e: unknown) => void; active: ActiveRun }>();
  const errors: [string, unknown][] = [];
  const queue = new RunQueue(
    concurrency,
    (id, active) => {
      started.push(id);
      return new Promise<void>((resolve, reject) => finish.set(id, { resolve, reject, active }));
    },
    (id, error) => errors.push([id, error]),
    options,
  );
  const end = async (id: string) => {
    finish.get(id)?.resolve();
    await settle();
  };
  return { queue, started, finish, errors, end };
}

describe('RunQueue', () => {
  it('starts runs first in first out, no more than its concurrency at once', async () => {
    const q = controlled(2);
    for (const id of ['a', 'b', 'c', 'd']) q.queue.enqueue(id);
    expect(q.started).toEqual(['a', 'b']);
    expect(q.queue.queued()).toEqual(['c', 'd']);
    await q.end('b');
    expect(q.started).toEqual(['a', 'b', 'c']);
    expect(q.queue.active('b')).toBeUndefined();
    expect(q.queue.active('a')).toBeDefined();
    await q.end('a');
    await q.end('c');
    await q.end('d');
    expect(q.started).toEqual(['a', 'b', 'c', 'd']);
    expect(q.queue.activeRuns()).toEqual([]);
  });

  it('starts a run in the caller’s turn', () => {
    const q = controlled(1);
    q.queue.enqueue('a');
    expect(q.started).toEqual(['a']);
  });

  it('keeps a waiting run once, in its first place', () => {
    const q = controlled(1);
    for (const id of ['a', 'b', 'c', 'b']) q.queue.enqueue(id);
    expect(q.queue.queued()).toEqual(['b', 'c']);
  });

  it('removes a waiting run, and says when there was none', async () => {
    const q = controlled(1);
    for (const id of ['a', 'b', 'c']) q.queue.enqueue(id);
    expect(q.queue.remove('b')).toBe(true);
    expect(q.queue.remove('b')).toBe(false);
    expect(q.queue.remove('a')).toBe(false); // active, not waiting
    await q.end('a');
    expect(q.started).toEqual(['a', 'c']);
  });

  it('gives each run its own stop signal, and `done` settles when it ends', async () => {
    const q = controlled(2);
    q.queue.enqueue('a');
    q.queue.enqueue('b');
    const a = q.queue.active('a') as ActiveRun;
    expect(q.finish.get('a')?.active).toBe(a);
    a.stop.abort('why');
    expect(q.finish.get('b')?.active.stop.signal.aborted).toBe(false);
    let done = false;
    void a.done.then(() => (done = true));
    await settle();
    expect(done).toBe(false);
    await q.end('a');
    expect(done).toBe(true);
  });

  it('hands a run that rejects (or throws at once) to onError, resolves its `done`, and starts the next', async () => {
    const errors: [string, unknown][] = [];
    const boom = new Error('boom');
    const queue = new RunQueue(
      1,
      (id) => {
        if (id === 'sync') throw boom;
        return Promise.reject(boom);
      },
      (id, error) => errors.push([id, error]),
    );
    queue.enqueue('async');
    queue.enqueue('sync');
    const first = queue.active('async') as ActiveRun;
    await expect(first.done).resolves.toBeUndefined();
    await settle();
    expect(errors).toEqual([
      ['async', boom],
      ['sync', boom],
    ]);
    expect(queue.activeRuns()).toEqual([]);
  });

  it('close forgets the waiting runs, returns the active ones and starts nothing more', async () => {
    const q = controlled(1);
    for (const id of ['a', 'b']) q.queue.enqueue(id);
    const active = q.queue.close();
    expect(q.queue.closing).toBe(true);
    expect(active).toEqual([q.queue.active('a')]);
    expect(q.queue.queued()).toEqual([]);
    await q.end('a');
    q.queue.enqueue('c');
    expect(q.started).toEqual(['a']);
  });

  describe('fair between owners', () => {
    /** Run ids name their owner: `ada-2` is ada's. */
    const ownerOf = (id: string) => id.split('-')[0];

    it('starts the oldest waiting run of the owner with the fewest recent starts, not first in first out', async () => {
      const q = controlled(1, { ownerOf, now: () => 0 });
      // ada queues three, then bob two, then cy one: first in first out would run ada's three first.
      for (const id of ['ada-1', 'ada-2', 'ada-3', 'bob-1', 'bob-2', 'cy-1']) q.queue.enqueue(id);
      expect(q.started).toEqual(['ada-1']);
      // ada has had 1 start, bob and cy none: bob's first (queued before cy's), then cy's, then turns.
      expect(q.queue.queued()).toEqual(['bob-1', 'cy-1', 'ada-2', 'bob-2', 'ada-3']);
      for (const id of ['ada-1', 'bob-1', 'cy-1', 'ada-2', 'bob-2', 'ada-3']) await q.end(id);
      expect(q.started).toEqual(['ada-1', 'bob-1', 'cy-1', 'ada-2', 'bob-2', 'ada-3']);
    });

    it('takes turns over the slots too: 5 owners × 4 runs on 2 slots start one of each before any second', async () => {
      const q = controlled(2, { ownerOf, now: () => 0 });
      const owners = ['u1', 'u2', 'u3', 'u4', 'u5'];
      // Both slots are busy (a run that starts while a slot is free starts at once, whoever owns it) ...
      q.queue.enqueue('hold-1');
      q.queue.enqueue('hold-2');
      // ... as each owner submits its four at once, one owner after another.
      for (const owner of owners) for (let i = 1; i <= 4; i++) q.queue.enqueue(`${owner}-${i}`);
      while (q.started.length < 22) await q.end(q.started.find((id) => q.queue.active(id)) as string);
      const order = q.started.slice(2);
      for (let round = 0; round < 4; round++)
        expect(new Set(order.slice(round * 5, round * 5 + 5).map(ownerOf))).toEqual(new Set(owners));
      expect(order.slice(0, 6)).toEqual(['u1-1', 'u2-1', 'u3-1', 'u4-1', 'u5-1', 'u1-2']);
    });

    it('forgets starts older than the window', async () => {
      let now = 0;
      const q = controlled(1, { ownerOf, now: () => now, recentMs: 1000 });
      q.queue.enqueue('ada-1');
      await q.end('ada-1');
      q.queue.enqueue('ada-2');
      await q.end('ada-2');
      // At t = 500 ms ada has had 2 starts within the window (both at t = 0), bob none: bob goes first.
      now = 500;
      q.queue.enqueue('hold-1');
      expect(q.started.at(-1)).toBe('hold-1');
      q.queue.enqueue('ada-3');
      q.queue.enqueue('bob-1');
      expect(q.queue.queued()).toEqual(['bob-1', 'ada-3']);
      // At t = 1000 ms ada's starts (t = 0) have aged out and hold's (t = 500) has not: ada and bob are
      // even at 0, and ada's run was queued first.
      now = 1000;
      expect(q.queue.queued()).toEqual(['ada-3', 'bob-1']);
      await q.end('hold-1');
      expect(q.started.at(-1)).toBe('ada-3');
    });
  });
});
