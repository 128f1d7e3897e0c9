import { describe, expect, it } from 'vitest';
import { formatMeanStd, meanStd, MetricsInputError } from './index';

describe('mean ± std over three seeds', () => {
  const lastAccBySeed = [91.2, 91.5, 91.9];

  it('uses the population std by default, as numpy.std does', () => {
    // mean = 274.6 / 3 = 91.5333…; deviations −1/3, −1/30, 11/30;
    // squares 100/900 + 1/900 + 121/900 = 222/900; / 3 = 0.08222…; sqrt = 0.286744…
    // numpy: x.mean() → 91.53333333333335, x.std() → 0.2867441755680889
    const ms = meanStd(lastAccBySeed);
    expect(ms.n).toBe(3);
    expect(ms.mean).toBeCloseTo(91.53333333333335, 12);
    expect(ms.std).toBeCloseTo(0.2867441755680889, 12);
  });

  it('gives the sample std with ddof 1', () => {
    // 222/900 / 2 = 0.12333…; sqrt = 0.351188…  (numpy: x.std(ddof=1) → 0.3511884584284263)
    expect(meanStd(lastAccBySeed, { ddof: 1 }).std).toBeCloseTo(0.3511884584284263, 12);
  });

  it('gives std 0 for one run', () => {
    expect(meanStd([77.7])).toEqual({ mean: 77.7, std: 0, n: 1 });
  });

  it('formats as the paper does', () => {
    expect(formatMeanStd(meanStd(lastAccBySeed))).toBe('91.53 ± 0.29');
    expect(formatMeanStd(meanStd(lastAccBySeed), 1)).toBe('91.5 ± 0.3');
    expect(formatMeanStd({ mean: 91.53, std: 0.28, n: 3 })).toBe('91.53 ± 0.28');
    expect(formatMeanStd({ mean: 5, std: 0, n: 1 }, 0)).toBe('5 ± 0');
  });

  const invalid: [string, () => unknown, RegExp][] = [
    ['no values', () => meanStd([]), /meanStd: expected at least one value/],
    ['NaN', () => meanStd([1, Number.NaN]), /value 1 must be a finite number/],
    ['Infinity', () => meanStd([Infinity]), /value 0 must be a finite number/],
    ['ddof 1 with one value', () => meanStd([3], { ddof: 1 }), /1 value\(s\) are too few for ddof = 1/],
    ['a negative ddof', () => meanStd([3, 4], { ddof: -1 }), /ddof must be an integer ≥ 0/],
    [
      'negative digits',
      () => formatMeanStd({ mean: 1, std: 0, n: 1 }, -1),
      /digits must be an integer in \[0, 20\]/,
    ],
  ];
  it.each(invalid)('rejects %s', (_, call, message) => {
    expect(call).toThrow(MetricsInputError);
    expect(call).toThrow(message);
  });
});
