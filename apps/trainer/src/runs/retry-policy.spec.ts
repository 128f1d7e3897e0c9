import { status } from '@grpc/grpc-js';
import { ObjectStoreError } from '@slca/artifacts';
import { describe, expect, it } from 'vitest';
import { manualSchedule } from '../../test/run-fakes';
import { isTransient, RetryPolicy, TRANSIENT_RETRY_DELAYS_MS } from './retry-policy';

const unavailable = Object.assign(new Error('connect ECONNREFUSED'), { code: status.UNAVAILABLE });
const storeDown = new ObjectStoreError('unavailable', 'put', 'runs/r/run.json', undefined, {
  detail: 'down',
});

describe('isTransient', () => {
  it('takes a peer that is unreachable or too slow, and an unreachable object store, as worth another try', () => {
    expect(isTransient(unavailable)).toBe(true);
    expect(isTransient(Object.assign(new Error('slow'), { code: status.DEADLINE_EXCEEDED }))).toBe(true);
    expect(isTransient(storeDown)).toBe(true);
  });

  it('does not retry what another try would fail the same way', () => {
    expect(isTransient(new Error('diverged'))).toBe(false);
    expect(isTransient(Object.assign(new Error('bad'), { code: status.INVALID_ARGUMENT }))).toBe(false);
    expect(
      isTransient(new ObjectStoreError('permission_denied', 'put', 'k', 'AccessDenied', { detail: 'no' })),
    ).toBe(false);
    expect(isTransient(undefined)).toBe(false);
    expect(isTransient(null)).toBe(false);
  });
});

describe('RetryPolicy', () => {
  it('pauses 5, 15 and 45 s by default, then every 60 s for as long as the outage lasts', () => {
    const policy = new RetryPolicy();
    expect(TRANSIENT_RETRY_DELAYS_MS).toEqual([5_000, 15_000, 45_000, 60_000]);
    expect([...Array(100).keys()].map(() => policy.nextDelay('r', unavailable))).toEqual([
      5_000,
      15_000,
      45_000,
      ...Array<number>(97).fill(60_000),
    ]);
    expect(policy.failureCount('r')).toBe(100);
  });

  it('with a limit, gives up after that many failures in a row', () => {
    const policy = new RetryPolicy([10, 20], undefined, 3);
    expect([1, 2, 3, 4].map(() => policy.nextDelay('r', unavailable))).toEqual([10, 20, 20, undefined]);
  });

  it('counts each run on its own and does not count failures it will not retry', () => {
    const policy = new RetryPolicy([10, 20], undefined, 2);
    expect(policy.nextDelay('a', unavailable)).toBe(10);
    expect(policy.nextDelay('a', new Error('a bug'))).toBeUndefined();
    expect(policy.failureCount('a')).toBe(1);
    expect(policy.nextDelay('b', storeDown)).toBe(10);
    expect(policy.nextDelay('a', unavailable)).toBe(20);
    expect(policy.nextDelay('a', unavailable)).toBeUndefined();
  });

  it('starts the schedule again after a success', () => {
    const policy = new RetryPolicy([10, 20], undefined, 2);
    policy.nextDelay('a', unavailable);
    policy.nextDelay('a', unavailable);
    policy.succeeded('a');
    expect(policy.failureCount('a')).toBe(0);
    expect(policy.nextDelay('a', unavailable)).toBe(10);
  });

  it('runs a retry on its timer, once, and a newer retry of the same run replaces the older', () => {
    const timers = manualSchedule();
    const policy = new RetryPolicy([10], timers.schedule);
    const ran: string[] = [];
    policy.later('a', 10, () => ran.push('a1'));
    policy.later('a', 30, () => ran.push('a2'));
    policy.later('b', 20, () => ran.push('b'));
    expect(timers.pending()).toEqual([30, 20]);
    expect(ran).toEqual([]);
    timers.fire();
    expect(ran).toEqual(['a2', 'b']);
    timers.fire();
    expect(ran).toEqual(['a2', 'b']);
  });

  it('close cancels the retries not yet due', () => {
    const timers = manualSchedule();
    const policy = new RetryPolicy([10], timers.schedule);
    const ran: string[] = [];
    policy.later('a', 10, () => ran.push('a'));
    policy.close();
    expect(timers.pending()).toEqual([]);
    timers.fire();
    expect(ran).toEqual([]);
  });

  it('the real timers do not keep the process alive and can be cancelled', async () => {
    const policy = new RetryPolicy([1]);
    let ran = 0;
    policy.later('a', 1, () => (ran += 1));
    policy.later('b', 1, () => (ran += 10));
    policy.close();
    policy.later('c', 1, () => (ran += 100));
    await new Promise((r) => setTimeout(r, 20));
    expect(ran).toBe(100);
  });
});
