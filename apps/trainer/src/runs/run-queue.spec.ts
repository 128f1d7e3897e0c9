import { describe, expect, it } from 'vitest';
import { settle } from '../../test/run-fakes';
import { RunQueue, type ActiveRun } from './run-queue';

/** A queue whose runs end when the test resolves (or rejects) them. */
function controlled(concurrency: number) {
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
});
