import { MetricsInputError } from './metrics-input-error';

export interface MeanStd {
  readonly mean: number;
  readonly std: number;
  /** Number of values (e.g. seeds). */
  readonly n: number;
}

export interface MeanStdOptions {
  /**
   * Delta degrees of freedom: the variance divides by n − ddof. The default 0 (population std) matches
   * numpy.std's default, which the reference code's reports use; pass 1 for the sample std.
   */
  readonly ddof?: number;
}

/** Mean and standard deviation of `values` (e.g. one metric over seeds). */
export function meanStd(values: readonly number[], { ddof = 0 }: MeanStdOptions = {}): MeanStd {
  if (!Array.isArray(values) || values.length === 0) {
    throw new MetricsInputError('meanStd: expected at least one value');
  }
  values.forEach((v, k) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new MetricsInputError(`meanStd: value ${k} must be a finite number, got ${String(v)}`);
    }
  });
  if (!Number.isSafeInteger(ddof) || ddof < 0) {
    throw new MetricsInputError(`meanStd: ddof must be an integer ≥ 0, got ${ddof}`);
  }
  const n = values.length;
  if (n <= ddof) {
    throw new MetricsInputError(
      `meanStd: ${n} value(s) are too few for ddof = ${ddof} (need more than ${ddof})`,
    );
  }
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const squares = values.reduce((acc, v) => acc + (v - mean) * (v - mean), 0);
  return { mean, std: Math.sqrt(squares / (n - ddof)), n };
}

/**
 * "mean ± std" with `digits` decimals, as in the paper's tables: `formatMeanStd({mean: 91.53, std: 0.28, n: 3})`
 * is "91.53 ± 0.28". Rounding is Number.prototype.toFixed's (of the binary value).
 */
export function formatMeanStd(ms: MeanStd, digits = 2): string {
  checkDigits(digits, 'formatMeanStd');
  return `${ms.mean.toFixed(digits)} ± ${ms.std.toFixed(digits)}`;
}

export function checkDigits(digits: number, fn: string): void {
  if (!Number.isSafeInteger(digits) || digits < 0 || digits > 20) {
    throw new MetricsInputError(`${fn}: digits must be an integer in [0, 20], got ${digits}`);
  }
}
