import { describe, expect, it } from 'vitest';
import { bwt, bwtPerTask, forgetting, forgettingPerTask, type AccuracyMatrix } from './index';

describe('forgetting and BWT after three tasks', () => {
  // Task 0's accuracy peaks after task 1 (92 > 90), so forgetting must use the max over earlier rows,
  // not the diagonal.
  const R: AccuracyMatrix = [
    [90, null, null],
    [92, 85, null],
    [70, 75, 88],
  ];

  it('measures each old task against its best earlier accuracy', () => {
    // j=0: max(R[0][0], R[1][0]) − R[2][0] = max(90, 92) − 70 = 22
    // j=1: max(R[1][1]) − R[2][1] = 85 − 75 = 10
    expect(forgettingPerTask(R)).toEqual([22, 10]);
    // (22 + 10) / 2 = 16
    expect(forgetting(R)).toBe(16);
  });

  it('measures BWT against the just-learned (diagonal) accuracy', () => {
    // j=0: R[2][0] − R[0][0] = 70 − 90 = −20;  j=1: R[2][1] − R[1][1] = 75 − 85 = −10
    expect(bwtPerTask(R)).toEqual([-20, -10]);
    // (−20 − 10) / 2 = −15, which differs from −forgetting (−16) because of the peak at R[1][0]
    expect(bwt(R)).toBe(-15);
  });

  it('ignores the final task, which has nothing to forget yet', () => {
    const lowerFinalDiagonal: AccuracyMatrix = [
      [90, null, null],
      [92, 85, null],
      [70, 75, 10],
    ];
    expect(forgetting(lowerFinalDiagonal)).toBe(16);
    expect(bwt(lowerFinalDiagonal)).toBe(-15);
  });

  it('matches numpy on non-integer accuracies', () => {
    const decimal: AccuracyMatrix = [
      [90.5, null, null],
      [92.25, 85.75, null],
      [70.1, 75.3, 88.0],
    ];
    // numpy: per = [max(R[i][j] for i in range(j, 2)) - R[2][j] for j in range(2)]; np.mean(per)
    //   → per [22.150000000000006, 10.450000000000003], mean 16.300000000000004
    // bwt: np.mean([R[2][j] - R[j][j] for j in range(2)]) → -15.425000000000004
    const per = forgettingPerTask(decimal);
    expect(per[0]).toBeCloseTo(22.150000000000006, 12);
    expect(per[1]).toBeCloseTo(10.450000000000003, 12);
    expect(forgetting(decimal)).toBeCloseTo(16.300000000000004, 12);
    expect(bwt(decimal)).toBeCloseTo(-15.425000000000004, 12);
  });

  it('matches numpy on four tasks with a non-monotone column', () => {
    const four: AccuracyMatrix = [
      [97.6, null, null, null],
      [98.1, 96.3, null, null],
      [93.45, 96.9, 95.8, null],
      [91.0, 92.65, 93.1, 94.4],
    ];
    // numpy, same definitions as above with F = 3:
    //   forgetting per [7.099999999999994, 4.25, 2.700000000000003], mean 4.683333333333333
    //   bwt per [-6.599999999999994, -3.6499999999999915, -2.700000000000003], mean -4.316666666666663
    const per = forgettingPerTask(four);
    expect(per).toHaveLength(3);
    expect(per[0]).toBeCloseTo(7.1, 12);
    expect(per[1]).toBeCloseTo(4.25, 12);
    expect(per[2]).toBeCloseTo(2.7, 12);
    expect(forgetting(four)).toBeCloseTo(4.683333333333333, 12);
    expect(bwt(four)).toBeCloseTo(-4.316666666666663, 12);
  });
});
