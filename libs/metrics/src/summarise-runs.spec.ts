import { describe, expect, it } from 'vitest';
import { MetricsInputError, summariseRuns } from './index';

describe('summariseRuns', () => {
  it('groups by method in first-seen order with mean ± std per metric', () => {
    const rows = summariseRuns([
      { method: 'SLCA', seed: 1993, lastAcc: 91.53, incAcc: 94.09 },
      { method: 'Seq FT', seed: 1993, lastAcc: 41.2, incAcc: 63.4 },
      { method: 'SLCA', seed: 1996, lastAcc: 91.81, incAcc: 93.5 },
      { method: 'Seq FT', seed: 1996, lastAcc: 42.5, incAcc: 64.1 },
      { method: 'SLCA', seed: 1997, lastAcc: 91.25, incAcc: 94.68 },
      { method: 'Seq FT', seed: 1997, lastAcc: 41.7, incAcc: 62.9 },
    ]);
    expect(rows.map((r) => r.method)).toEqual(['SLCA', 'Seq FT']);
    const [slca, seqFt] = rows;
    expect(slca.n).toBe(3);
    expect(slca.seeds).toEqual([1993, 1996, 1997]);
    // numpy: np.mean/np.std of [91.53, 91.81, 91.25] → 91.53000000000002, 0.2286190426597642
    //        of [94.09, 93.5, 94.68] → 94.08999999999999, 0.48173298274736115
    expect(slca.lastAcc.mean).toBeCloseTo(91.53, 12);
    expect(slca.lastAcc.std).toBeCloseTo(0.2286190426597642, 12);
    expect(slca.incAcc.mean).toBeCloseTo(94.09, 12);
    expect(slca.incAcc.std).toBeCloseTo(0.48173298274736115, 12);
    // numpy: [41.2, 42.5, 41.7] → 41.800000000000004, 0.5354126134736324
    expect(seqFt.lastAcc.mean).toBeCloseTo(41.8, 12);
    expect(seqFt.lastAcc.std).toBeCloseTo(0.5354126134736324, 12);
  });

  it('passes ddof through', () => {
    const [row] = summariseRuns(
      [
        { method: 'SLCA', lastAcc: 91.53, incAcc: 94.09 },
        { method: 'SLCA', lastAcc: 91.81, incAcc: 93.5 },
        { method: 'SLCA', lastAcc: 91.25, incAcc: 94.68 },
      ],
      { ddof: 1 },
    );
    // numpy: np.std([91.53, 91.81, 91.25], ddof=1) → 0.28000000000000114
    expect(row.lastAcc.std).toBeCloseTo(0.28, 12);
    expect(row.seeds).toEqual([]);
  });

  it('returns no rows for no runs', () => {
    expect(summariseRuns([])).toEqual([]);
  });

  const invalid: [string, Parameters<typeof summariseRuns>[0], RegExp][] = [
    [
      'the same seed twice for one method',
      [
        { method: 'SLCA', seed: 1993, lastAcc: 91, incAcc: 94 },
        { method: 'SLCA', seed: 1993, lastAcc: 92, incAcc: 94 },
      ],
      /method 'SLCA' has two runs with seed 1993/,
    ],
    ['an empty method name', [{ method: ' ', lastAcc: 91, incAcc: 94 }], /run 0 has no method name/],
    [
      'a fraction where a percentage is expected',
      [
        { method: 'SLCA', lastAcc: 91, incAcc: 94 },
        { method: 'SLCA', lastAcc: 0.92, incAcc: 940 },
      ],
      /run 1 \(SLCA\) incAcc must be a finite accuracy in \[0, 100\]/,
    ],
  ];
  it.each(invalid)('rejects %s', (_, runs, message) => {
    expect(() => summariseRuns(runs)).toThrow(MetricsInputError);
    expect(() => summariseRuns(runs)).toThrow(message);
  });

  it('allows the same seed under different methods', () => {
    const rows = summariseRuns([
      { method: 'SLCA', seed: 1993, lastAcc: 91, incAcc: 94 },
      { method: 'Seq FT', seed: 1993, lastAcc: 41, incAcc: 63 },
    ]);
    expect(rows).toHaveLength(2);
  });
});
