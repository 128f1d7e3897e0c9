import { describe, expect, it } from 'vitest';
import { emptyMatrix, filledRows, MetricsInputError, setRow } from './index';

describe('emptyMatrix', () => {
  it('is T×T nulls with no filled row', () => {
    const R = emptyMatrix(3);
    expect(R).toEqual([
      [null, null, null],
      [null, null, null],
      [null, null, null],
    ]);
    expect(filledRows(R)).toBe(0);
  });

  it.each([0, -1, 2.5, Number.NaN])('rejects %s tasks', (tasks) => {
    expect(() => emptyMatrix(tasks)).toThrow(/emptyMatrix: the number of tasks must be an integer ≥ 1/);
  });
});

describe('setRow', () => {
  it('fills row i with i+1 accuracies and nulls after the diagonal, leaving the input untouched', () => {
    const empty = emptyMatrix(3);
    const R0 = setRow(empty, 0, [91.5]);
    const R1 = setRow(R0, 1, [88, 93.25]);
    expect(R1).toEqual([
      [91.5, null, null],
      [88, 93.25, null],
      [null, null, null],
    ]);
    expect(filledRows(R1)).toBe(2);
    expect(empty).toEqual(emptyMatrix(3));
    expect(R0[1]).toEqual([null, null, null]);
  });

  it('accepts the bounds 0 and 100 and lets a filled row be set again', () => {
    const R = setRow(setRow(emptyMatrix(2), 0, [100]), 1, [0, 50]);
    expect(setRow(R, 1, [10, 60])[1]).toEqual([10, 60]);
  });

  it('survives a JSON round trip (nulls, not undefined)', () => {
    const R = setRow(emptyMatrix(2), 0, [77]);
    expect(JSON.parse(JSON.stringify(R))).toEqual(R);
  });

  const base = setRow(emptyMatrix(3), 0, [90]);
  const invalid: [string, () => unknown, RegExp][] = [
    ['a row of the wrong length', () => setRow(base, 1, [80]), /row 1 must hold 2 accuracies/],
    ['a row longer than i+1', () => setRow(base, 0, [80, 70]), /row 0 must hold 1 accuracies/],
    ['a row out of order', () => setRow(base, 2, [1, 2, 3]), /row 2 cannot be set before row 1/],
    ['a task beyond T', () => setRow(base, 3, [1, 2, 3, 4]), /task must be an integer in \[0, 2\], got 3/],
    ['a negative task', () => setRow(base, -1, []), /task must be an integer in \[0, 2\], got -1/],
    [
      'an accuracy above 100',
      () => setRow(base, 1, [80, 100.01]),
      /R\[1\]\[1\] must be a finite accuracy in \[0, 100\]/,
    ],
    ['a negative accuracy', () => setRow(base, 1, [-0.5, 80]), /R\[1\]\[0\] must be a finite accuracy/],
    ['Infinity', () => setRow(base, 1, [80, Infinity]), /R\[1\]\[1\] must be a finite accuracy/],
    ['NaN', () => setRow(base, 1, [Number.NaN, 80]), /R\[1\]\[0\] must be a finite accuracy/],
  ];
  it.each(invalid)('rejects %s', (_, call, message) => {
    expect(call).toThrow(MetricsInputError);
    expect(call).toThrow(message);
  });
});
