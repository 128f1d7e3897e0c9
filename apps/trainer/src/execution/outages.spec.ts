import { status } from '@grpc/grpc-js';
import { MemoryObjectStore, ObjectStoreError } from '@slca/artifacts';
import { describe, expect, it } from 'vitest';
import { describeDependency, OutageGate, SLOW_CALL_MS, WaitStopped } from './outages';

const unavailable = () => Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: 14 });
const storeDown = () =>
  new ObjectStoreError('unavailable', 'get', 'runs/r/x', 'ECONNREFUSED', { detail: 'connection refused' });

/** A gate whose pauses are recorded and resolve at once; `changes` lists what it reported. */
function gate(controller = new AbortController()) {
  const changes: string[] = [];
  const pauses: number[] = [];
  const g = new OutageGate({
    signal: controller.signal,
    addresses: { evaluator: '127.0.0.1:50054', 'object-store': 'http://127.0.0.1:9000/slca' },
    onChange: (waitingFor, error) =>
      changes.push(waitingFor ? `${waitingFor} (${(error as Error).message})` : ''),
    delaysMs: [1, 2, 5],
    // No real pause, but a turn of the event loop, as a timer would give.
    sleep: async (ms, signal) => {
      pauses.push(ms);
      await new Promise((r) => setImmediate(r));
      signal.throwIfAborted();
    },
  });
  return { g, changes, pauses, controller };
}

/** A call that fails `times` times with `error()`, then answers `value`. */
function failing<T>(times: number, error: () => Error, value: T) {
  let calls = 0;
  const fn = async () => {
    calls += 1;
    if (calls <= times) throw error();
    return value;
  };
  return { fn, calls: () => calls };
}

describe('OutageGate', () => {
  it('repeats only the failed call until the dependency answers, however long that takes', async () => {
    const { g, changes, pauses } = gate();
    const call = failing(40, unavailable, { accuracy: 75 });
    await expect(g.call('evaluator', call.fn)).resolves.toEqual({ accuracy: 75 });
    expect(call.calls()).toBe(41);
    // The pauses grow to the last one and stay there.
    expect(pauses).toEqual([1, 2, ...Array<number>(38).fill(5)]);
    expect(changes).toEqual([
      'the evaluator at 127.0.0.1:50054 (14 UNAVAILABLE: No connection established)',
      '',
    ]);
    expect(g.waitingFor).toBe('');
  });

  it('takes DEADLINE_EXCEEDED and the store’s unavailable as outages too', async () => {
    const { g, changes } = gate();
    const slow = failing(
      1,
      () => Object.assign(new Error('deadline'), { code: status.DEADLINE_EXCEEDED }),
      1,
    );
    await expect(g.call('evaluator', slow.fn)).resolves.toBe(1);
    const store = failing(2, storeDown, 2);
    await expect(g.call('object-store', store.fn)).resolves.toBe(2);
    expect(changes.filter(Boolean)).toEqual([
      'the evaluator at 127.0.0.1:50054 (deadline)',
      expect.stringMatching(/^the object store at http:\/\/127.0.0.1:9000\/slca \(object store get/),
    ]);
  });

  it('passes any other failure through at once, without waiting', async () => {
    const { g, changes, pauses } = gate();
    const refused = failing(1, () => Object.assign(new Error('bad'), { code: status.INVALID_ARGUMENT }), 0);
    await expect(g.call('evaluator', refused.fn)).rejects.toThrow('bad');
    expect(refused.calls()).toBe(1);
    expect([changes, pauses]).toEqual([[], []]);
  });

  it('ends a wait with WaitStopped when the run is stopped, and reports that it no longer waits', async () => {
    const { g, changes, controller } = gate();
    let calls = 0;
    const error = await g
      .call('evaluator', async () => {
        calls += 1;
        if (calls === 3) controller.abort();
        throw unavailable();
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaitStopped);
    expect((error as Error).message).toBe('stopped while waiting for the evaluator at 127.0.0.1:50054');
    expect(calls).toBe(3);
    expect(changes.at(-1)).toBe('');
  });

  it('still makes the calls of a stopped run (a shutdown writes its checkpoint), but no longer waits', async () => {
    const { g, changes, controller, pauses } = gate();
    controller.abort();
    expect(await g.call('object-store', async () => 'written')).toBe('written');
    let calls = 0;
    const error = await g
      .call('object-store', async () => {
        calls += 1;
        throw storeDown();
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaitStopped);
    expect(calls).toBe(1);
    expect([changes, pauses]).toEqual([[], []]);
  });

  it('waits while any dependency is down and names one of them; reports once per change', async () => {
    const { g, changes } = gate();
    let evaluatorUp = false;
    let storeUp = false;
    const sleepUntil = async (up: () => boolean) => {
      while (!up()) await new Promise((r) => setImmediate(r));
    };
    const evaluation = g.call('evaluator', async () => {
      if (!evaluatorUp) throw unavailable();
      return 'evaluated';
    });
    const read = g.call('object-store', async () => {
      if (!storeUp) throw storeDown();
      return 'read';
    });
    await sleepUntil(() => changes.length > 0);
    expect(g.waitingFor).toBe('the evaluator at 127.0.0.1:50054');
    evaluatorUp = true;
    await expect(evaluation).resolves.toBe('evaluated');
    expect(g.waitingFor).toBe('the object store at http://127.0.0.1:9000/slca');
    storeUp = true;
    await expect(read).resolves.toBe('read');
    expect(g.waitingFor).toBe('');
    expect(changes.map((c) => c.replace(/ \(.*/, ''))).toEqual([
      'the evaluator at 127.0.0.1:50054',
      'the object store at http://127.0.0.1:9000/slca',
      '',
    ]);
  });

  it('wraps a store so that each of its operations waits out an outage', async () => {
    const { g, changes } = gate();
    const memory = new MemoryObjectStore();
    let down = 3;
    const flaky = new Proxy(memory, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (down > 0) {
            down -= 1;
            return Promise.reject(storeDown());
          }
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const store = g.store(flaky);
    await store.put('runs/r/a', new Uint8Array([1, 2]));
    expect([...(await store.get('runs/r/a'))]).toEqual([1, 2]);
    expect(await store.list('runs/r/')).toEqual(['runs/r/a']);
    expect(store.description).toBe('memory');
    expect(changes).toHaveLength(2);
  });

  it('describes a dependency with its address when it is known', () => {
    expect(describeDependency('stats-store', { 'stats-store': '127.0.0.1:50053' })).toBe(
      'the statistics store at 127.0.0.1:50053',
    );
    expect(describeDependency('splitter')).toBe('the splitter');
  });
  it('reports a store call that has not answered after its threshold, until it answers; quick calls and peers say nothing', async () => {
    const changes: string[] = [];
    const g = new OutageGate({
      signal: new AbortController().signal,
      addresses: { 'object-store': 'http://127.0.0.1:9000/slca' },
      onChange: (waitingFor, error) =>
        changes.push(waitingFor ? `${waitingFor} (${(error as Error).message})` : ''),
      slowAfterMs: { 'object-store': 20 },
    });
    const settled = async (ms: number) => new Promise((r) => setTimeout(r, ms));
    await expect(g.call('object-store', async () => 'quick')).resolves.toBe('quick');
    // The peers' calls have deadlines of their own and may rightly be long: not reported while pending.
    await g.call('evaluator', () => settled(60));
    expect(changes).toEqual([]);

    let answer: (value: string) => void = () => undefined;
    const hung = g.call('object-store', () => new Promise<string>((resolve) => (answer = resolve)));
    while (!g.waitingFor) await settled(5);
    expect(changes).toEqual(['the object store at http://127.0.0.1:9000/slca (no answer for 0.02 s)']);
    answer('late');
    await expect(hung).resolves.toBe('late');
    expect(changes.at(-1)).toBe('');
    expect(g.waitingFor).toBe('');
    // By default only the object store, whose client has no deadline, is watched this way.
    expect(SLOW_CALL_MS).toEqual({ 'object-store': 15_000 });
  });
});
