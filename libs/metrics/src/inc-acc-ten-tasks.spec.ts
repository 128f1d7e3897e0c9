import { describe, expect, it } from 'vitest';
import { incAcc, lastAcc, MetricsInputError } from './index';

describe('Last-Acc and Inc-Acc over ten tasks', () => {
  const A = [98.9, 97.35, 96.1, 95.62, 94.8, 94.05, 93.4, 92.77, 92.1, 91.53];

  it('Last-Acc is A after the last task', () => {
    expect(lastAcc(A)).toBe(91.53);
  });

  it('Inc-Acc is the mean of the A_t', () => {
    // Running sum: 98.9 + 97.35 = 196.25; +96.1 = 292.35; +95.62 = 387.97; +94.8 = 482.77; +94.05 = 576.82;
    // +93.4 = 670.22; +92.77 = 762.99; +92.1 = 855.09; +91.53 = 946.62. 946.62 / 10 = 94.662
    // (numpy: np.mean(A) → 94.662)
    expect(incAcc(A)).toBeCloseTo(94.662, 12);
  });

  it('works on a run in progress (the tasks trained so far)', () => {
    // (98.9 + 97.35 + 96.1) / 3 = 292.35 / 3 = 97.45
    expect(incAcc(A.slice(0, 3))).toBeCloseTo(97.45, 12);
    expect(lastAcc(A.slice(0, 3))).toBe(96.1);
  });

  const invalid: [string, number[], RegExp][] = [
    ['no accuracy', [], /expected at least one accuracy/],
    ['an accuracy above 100', [99, 100.5], /A_1 must be a finite accuracy in \[0, 100\]/],
    ['a negative accuracy', [-3], /A_0 must be a finite accuracy/],
    ['NaN', [90, Number.NaN, 80], /A_1 must be a finite accuracy/],
  ];
  it.each(invalid)('rejects %s', (_, values, message) => {
    expect(() => incAcc(values)).toThrow(MetricsInputError);
    expect(() => incAcc(values)).toThrow(message);
    expect(() => lastAcc(values)).toThrow(message);
  });
});
