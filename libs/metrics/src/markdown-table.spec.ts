import { describe, expect, it } from 'vitest';
import { markdownTable, MetricsInputError, summariseRuns } from './index';

// Means and stds below are numpy's (np.mean / np.std, ddof 0) of the per-seed values, rounded to 2 decimals:
//   SLCA         last [91.53, 91.81, 91.25] → 91.53 ± 0.23   inc [94.09, 93.5, 94.68] → 94.09 ± 0.48
//   Seq FT       last [41.2, 42.5, 41.7]    → 41.80 ± 0.54   inc [63.4, 64.1, 62.9]   → 63.47 ± 0.49
//   Slow Learner last [88.9, 88.7]          → 88.80 ± 0.10   inc [92.0, 92.2]         → 92.10 ± 0.10
const rows = summariseRuns([
  { method: 'Seq FT', seed: 1993, lastAcc: 41.2, incAcc: 63.4 },
  { method: 'Seq FT', seed: 1996, lastAcc: 42.5, incAcc: 64.1 },
  { method: 'Seq FT', seed: 1997, lastAcc: 41.7, incAcc: 62.9 },
  { method: 'Slow Learner', seed: 1993, lastAcc: 88.9, incAcc: 92.0 },
  { method: 'Slow Learner', seed: 1996, lastAcc: 88.7, incAcc: 92.2 },
  { method: 'SLCA', seed: 1993, lastAcc: 91.53, incAcc: 94.09 },
  { method: 'SLCA', seed: 1996, lastAcc: 91.81, incAcc: 93.5 },
  { method: 'SLCA', seed: 1997, lastAcc: 91.25, incAcc: 94.68 },
]);

describe('markdownTable', () => {
  it('renders the paper-style table', () => {
    expect(markdownTable(rows)).toBe(
      [
        '| method | Last-Acc | Inc-Acc | seeds |',
        '| --- | ---: | ---: | ---: |',
        '| Seq FT | 41.80 ± 0.54 | 63.47 ± 0.49 | 3 |',
        '| Slow Learner | 88.80 ± 0.10 | 92.10 ± 0.10 | 2 |',
        '| SLCA | 91.53 ± 0.23 | 94.09 ± 0.48 | 3 |',
      ].join('\n'),
    );
  });

  it('adds published numbers and our difference to them', () => {
    const table = markdownTable(rows, {
      columns: ['lastAcc', 'incAcc'],
      published: {
        'Seq FT': { lastAcc: 41.5 },
        SLCA: { lastAcc: { mean: 91.53, std: 0.28 }, incAcc: { mean: 94.09, std: 0.87 } },
      },
    });
    // Δ = our mean − published mean:
    //   Seq FT last 41.800000000000004 − 41.5 = +0.30 (no published Inc-Acc → –)
    //   SLCA last 91.53000000000002 − 91.53 = +1.4e-14 → 0.00; inc 94.08999999999999 − 94.09 = −1.4e-14 → 0.00
    //   (a rounding-level difference is shown unsigned, never as "-0.00")
    //   Slow Learner has no published numbers → –
    expect(table).toBe(
      [
        '| method | Last-Acc | Last-Acc (paper) | Δ Last-Acc | Inc-Acc | Inc-Acc (paper) | Δ Inc-Acc |',
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
        '| Seq FT | 41.80 ± 0.54 | 41.50 | +0.30 | 63.47 ± 0.49 | – | – |',
        '| Slow Learner | 88.80 ± 0.10 | – | – | 92.10 ± 0.10 | – | – |',
        '| SLCA | 91.53 ± 0.23 | 91.53 ± 0.28 | 0.00 | 94.09 ± 0.48 | 94.09 ± 0.87 | 0.00 |',
      ].join('\n'),
    );
  });

  it('shows a negative difference with its sign and honours columns and digits', () => {
    const table = markdownTable(rows.slice(2), {
      columns: ['seeds', 'lastAcc'],
      digits: 1,
      published: { SLCA: { lastAcc: 92 } },
    });
    // 91.53000000000002 − 92 = −0.47 → "-0.5" with one decimal
    expect(table).toBe(
      [
        '| method | seeds | Last-Acc | Last-Acc (paper) | Δ Last-Acc |',
        '| --- | ---: | ---: | ---: | ---: |',
        '| SLCA | 3 | 91.5 ± 0.2 | 92.0 | -0.5 |',
      ].join('\n'),
    );
  });

  it('escapes a pipe in a method name', () => {
    const [row] = summariseRuns([{ method: 'SLCA | MoCo v3', lastAcc: 80, incAcc: 85 }]);
    expect(markdownTable([row], { columns: ['lastAcc'] }).split('\n')[2]).toBe(
      '| SLCA \\| MoCo v3 | 80.00 ± 0.00 |',
    );
  });

  const invalid: [string, () => unknown, RegExp][] = [
    ['no columns', () => markdownTable(rows, { columns: [] }), /columns must be non-empty and distinct/],
    [
      'a repeated column',
      () => markdownTable(rows, { columns: ['seeds', 'seeds'] }),
      /columns must be non-empty/,
    ],
    ['an unknown column', () => markdownTable(rows, { columns: ['bwt' as 'seeds'] }), /unknown column 'bwt'/],
    [
      'fractional digits',
      () => markdownTable(rows, { digits: 1.5 }),
      /digits must be an integer in \[0, 20\]/,
    ],
    [
      'a line break in a method name',
      () => markdownTable(summariseRuns([{ method: 'a\nb', lastAcc: 1, incAcc: 1 }])),
      /contains a line break/,
    ],
    [
      'a non-finite published number',
      () => markdownTable(rows, { published: { SLCA: { incAcc: Number.NaN } } }),
      /published incAcc of 'SLCA' is not a finite number/,
    ],
  ];
  it.each(invalid)('rejects %s', (_, call, message) => {
    expect(call).toThrow(MetricsInputError);
    expect(call).toThrow(message);
  });
});
