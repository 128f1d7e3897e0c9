import { describe, expect, it } from 'vitest';
import { runCli } from '../test/run-cli';

describe('slca class-order', () => {
  it("prints numpy's RandomState(1993).permutation(100) as JSON", () => {
    const r = runCli(['class-order', '--classes', '100', '--seed', '1993']);
    expect(r.status).toBe(0);
    const order = JSON.parse(r.stdout) as number[];
    expect(order.slice(0, 20)).toEqual([
      68, 56, 78, 8, 23, 84, 90, 65, 74, 76, 40, 89, 3, 92, 55, 9, 26, 80, 43, 38,
    ]);
    expect(order.slice(-8)).toEqual([73, 93, 39, 67, 29, 49, 57, 33]);
    expect([...order].sort((a, b) => a - b)).toEqual([...Array(100).keys()]);
  });

  it('rejects a non-integer seed with exit code 2 and says which flag', () => {
    const r = runCli(['class-order', '--classes', '10', '--seed', 'abc']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--seed must be an integer, got 'abc'");
  });

  it('rejects zero classes', () => {
    const r = runCli(['class-order', '--classes', '0', '--seed', '1']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--classes must be an integer ≥ 1');
  });
});
