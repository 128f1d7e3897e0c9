import { describe, expect, it } from 'vitest';
import { correctlyRoundedLog } from './correctly-rounded-log';

describe('correctlyRoundedLog', () => {
  // Inputs (np.random.RandomState(11).random_sample(2000)) where V8's Math.log is one ulp off;
  // expected = float(Decimal(x).ln()) at 60 digits: the correctly rounded result.
  const CASES: [number, number][] = [
    [0.020483612791232675, -3.8881300885465993],
    [0.4016764806306522, -0.9121082889186166],
    [0.29026366713531204, -1.2369655720525536],
    [0.7011642750435169, -0.355013075545122],
    [0.9574440528259551, -0.04348799010343871],
    [0.6228340076529896, -0.47347523606060665],
    [0.3188702397585751, -1.1429710308681231],
    [0.8256522290722502, -0.19158162429812461],
    [0.723911262619614, -0.32308645955070037],
    [0.5506394709523689, -0.5966750016792673],
    [0.36642721104148424, -1.003955382996825],
    [0.5388502918850757, -0.6183174982579441],
  ];

  it.each(CASES)('ln(%s) rounds to %s where Math.log does not', (x, expected) => {
    expect(Math.log(x)).not.toBe(expected);
    expect(correctlyRoundedLog(x)).toBe(expected);
  });

  it.each([
    // float(Decimal(x).ln()) for each x
    [5e-324, -744.4400719213812],
    [2.2250738585072014e-308, -708.3964185322641],
    [1e300, 690.7755278982137],
    [0.5, -0.6931471805599453],
    [3, 1.0986122886681098],
    [10, 2.302585092994046],
  ])('handles subnormal, huge and exact-exponent input ln(%s) = %s', (x, expected) => {
    expect(correctlyRoundedLog(x)).toBe(expected);
  });

  it('is exact at 1 and follows Math.log outside the positive finite range', () => {
    expect(Object.is(correctlyRoundedLog(1), 0)).toBe(true);
    expect(correctlyRoundedLog(0)).toBe(-Infinity);
    expect(correctlyRoundedLog(Infinity)).toBe(Infinity);
    expect(correctlyRoundedLog(-1)).toBeNaN();
  });
});
