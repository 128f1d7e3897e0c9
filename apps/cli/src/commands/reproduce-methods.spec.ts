import { BENCHMARK_CATALOG, METHODS, PAPER_METHODS } from '@slca/engine';
import { describe, expect, it } from 'vitest';
import { methodsFlag } from './reproduce';

describe('reproduce --methods', () => {
  const embedded = BENCHMARK_CATALOG.find((b) => b.id === 'embedded')?.methods ?? [];

  it("'all' is every method the benchmark has, in catalogue order", () => {
    expect(embedded.length).toBeGreaterThan(1);
    expect(methodsFlag(' all ', embedded, true)).toEqual([...embedded]);
    // The embedded benchmark runs every registered method.
    expect([...embedded]).toEqual([...METHODS]);
    expect(methodsFlag('all', PAPER_METHODS, false)).toEqual([...PAPER_METHODS]);
  });

  it('a list keeps its order and is checked against the benchmark', () => {
    expect(methodsFlag('slca,sl', embedded, true)).toEqual(['slca', 'sl']);
    expect(() => methodsFlag('slca,ewc', embedded, true)).toThrow(/--methods: unknown value 'ewc'/);
    expect(() => methodsFlag(' , ', embedded, true)).toThrow(/--methods must list at least one value/);
  });
});
