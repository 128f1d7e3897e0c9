import { describe, expect, it } from 'vitest';
import { bwt, bwtPerTask, forgetting, forgettingPerTask, type AccuracyMatrix } from './index';

describe('forgetting when nothing is forgotten', () => {
  it('is 0 when every task keeps its accuracy', () => {
    const R: AccuracyMatrix = [
      [95, null, null, null],
      [95, 90, null, null],
      [95, 90, 85, null],
      [95, 90, 85, 80],
    ];
    expect(forgettingPerTask(R)).toEqual([0, 0, 0]);
    expect(forgetting(R)).toBe(0);
    expect(bwtPerTask(R)).toEqual([0, 0, 0]);
    expect(bwt(R)).toBe(0);
  });

  it('is defined as 0 for a single task (no old task), with empty per-task lists', () => {
    const R: AccuracyMatrix = [[87.5]];
    expect(forgettingPerTask(R)).toEqual([]);
    expect(forgetting(R)).toBe(0);
    expect(bwtPerTask(R)).toEqual([]);
    expect(bwt(R)).toBe(0);
  });

  it('goes negative, unclipped, when the final accuracy beats every earlier one', () => {
    const R: AccuracyMatrix = [
      [80, null, null],
      [78, 90, null],
      [85, 91, 93],
    ];
    // j=0: max(80, 78) − 85 = −5;  j=1: 90 − 91 = −1;  mean (−5 − 1) / 2 = −3
    expect(forgettingPerTask(R)).toEqual([-5, -1]);
    expect(forgetting(R)).toBe(-3);
  });
});
