import { describe, expect, it } from 'vitest';
import { backoffDelayMs, DEFAULT_RETRY_POLICY } from './client';

describe('backoffDelayMs', () => {
  const policy = { ...DEFAULT_RETRY_POLICY, initialBackoffMs: 100, multiplier: 2, maxBackoffMs: 1_000 };

  it('grows exponentially, stays within the upper half of each step, and stops at the cap', () => {
    const ceilings = [100, 200, 400, 800, 1_000, 1_000];
    ceilings.forEach((ceiling, i) => {
      for (let draw = 0; draw < 50; draw++) {
        const delay = backoffDelayMs(i + 1, policy);
        expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
        expect(delay).toBeLessThanOrEqual(ceiling);
      }
    });
  });

  it('jitters, so clients that failed together do not retry together', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelayMs(4, policy)));
    expect(delays.size).toBeGreaterThan(5);
  });
});
