import { describe, expect, it } from 'vitest';
import { bwt, bwtPerTask, forgetting, type AccuracyMatrix } from './index';

describe('BWT when later tasks help earlier ones', () => {
  const R: AccuracyMatrix = [
    [60, null, null],
    [65, 70, null],
    [72, 74, 80],
  ];

  it('is positive', () => {
    // j=0: R[2][0] − R[0][0] = 72 − 60 = 12;  j=1: R[2][1] − R[1][1] = 74 − 70 = 4;  mean (12 + 4) / 2 = 8
    expect(bwtPerTask(R)).toEqual([12, 4]);
    expect(bwt(R)).toBe(8);
  });

  it('gives negative forgetting, measured from the best earlier accuracy rather than the diagonal', () => {
    // j=0: max(60, 65) − 72 = −7;  j=1: 70 − 74 = −4;  mean (−7 − 4) / 2 = −5.5
    expect(forgetting(R)).toBe(-5.5);
  });
});
