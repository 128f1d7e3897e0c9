import { describe, expect, it } from 'vitest';
import {
  bwt,
  emptyMatrix,
  filledRows,
  forgetting,
  forgettingPerTask,
  MetricsInputError,
  setRow,
  type AccuracyMatrix,
} from './index';

describe('forgetting of a run in progress (partially filled matrix)', () => {
  // A 10-task run after task 2: rows 0..2 filled, rows 3..9 all null.
  const R = [[90], [92, 85], [70, 75, 88]].reduce<AccuracyMatrix>(
    (matrix, row, i) => setRow(matrix, i, row),
    emptyMatrix(10),
  );

  it('uses the last filled row as the final one', () => {
    expect(filledRows(R)).toBe(3);
    // Same arithmetic as forgetting-three-tasks: per [92 − 70, 85 − 75] = [22, 10], mean 16; BWT (−20 − 10) / 2
    expect(forgettingPerTask(R)).toEqual([22, 10]);
    expect(forgetting(R)).toBe(16);
    expect(bwt(R)).toBe(-15);
  });

  it('is 0 after the first task and an error before any', () => {
    expect(forgetting(setRow(emptyMatrix(10), 0, [91]))).toBe(0);
    expect(bwt(setRow(emptyMatrix(10), 0, [91]))).toBe(0);
    expect(() => forgetting(emptyMatrix(10))).toThrow(/forgetting: the accuracy matrix has no filled row/);
    expect(() => bwt(emptyMatrix(10))).toThrow(/bwt: the accuracy matrix has no filled row/);
  });
});

describe('invalid accuracy matrices', () => {
  const cases: [string, AccuracyMatrix, RegExp][] = [
    ['no rows', [], /non-empty array of rows/],
    ['a short row', [[90, null], [80]], /row 1 must have 2 cells/],
    [
      'a value above the diagonal',
      [
        [90, 50],
        [80, 70],
      ],
      /R\[0\]\[1\] must be null/,
    ],
    [
      'a partly filled row',
      [
        [90, null],
        [null, 70],
      ],
      /row 1 is partly filled; R\[1\]\[0\] is null/,
    ],
    [
      'a gap between filled rows',
      [
        [90, null, null],
        [null, null, null],
        [80, 70, 60],
      ],
      /row 2 is filled but row 1 is not/,
    ],
    ['an accuracy above 100', [[100.5]], /R\[0\]\[0\] must be a finite accuracy in \[0, 100\].*100\.5/],
    [
      'a negative accuracy',
      [
        [90, null],
        [-1, 70],
      ],
      /R\[1\]\[0\] must be a finite accuracy/,
    ],
    ['NaN', [[Number.NaN]], /R\[0\]\[0\] must be a finite accuracy.*NaN/],
    ['a string accuracy', [['0.9' as unknown as number]], /R\[0\]\[0\]/],
  ];
  it.each(cases)('rejects %s', (_, matrix, message) => {
    expect(() => forgetting(matrix)).toThrow(MetricsInputError);
    expect(() => forgetting(matrix)).toThrow(message);
    expect(() => bwt(matrix)).toThrow(message);
  });
});
