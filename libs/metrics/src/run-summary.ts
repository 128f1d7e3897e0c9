import { checkPercent } from './accuracy-matrix';
import { meanStd, type MeanStd, type MeanStdOptions } from './mean-std';
import { MetricsInputError } from './metrics-input-error';

/** The headline numbers of one finished run (one method, one seed). */
export interface RunResult {
  readonly method: string;
  /** Last-Acc (%). */
  readonly lastAcc: number;
  /** Inc-Acc (%). */
  readonly incAcc: number;
  /** The class-order seed, if known; used to reject the same run counted twice. */
  readonly seed?: number;
}

/** One method's results over its runs. */
export interface RunSummaryRow {
  readonly method: string;
  /** Number of runs (seeds) summarised. */
  readonly n: number;
  /** The seeds of the runs that gave one, in input order. */
  readonly seeds: number[];
  readonly lastAcc: MeanStd;
  readonly incAcc: MeanStd;
}

/**
 * Groups runs by method, in the order each method first appears, and gives mean ± std of Last-Acc and
 * Inc-Acc over each method's runs (population std by default, see {@link MeanStdOptions.ddof}).
 */
export function summariseRuns(runs: readonly RunResult[], options: MeanStdOptions = {}): RunSummaryRow[] {
  const groups = new Map<string, RunResult[]>();
  runs.forEach((run, k) => {
    if (typeof run.method !== 'string' || run.method.trim() === '') {
      throw new MetricsInputError(`summariseRuns: run ${k} has no method name`);
    }
    checkPercent(run.lastAcc, `summariseRuns: run ${k} (${run.method}) lastAcc`);
    checkPercent(run.incAcc, `summariseRuns: run ${k} (${run.method}) incAcc`);
    const group = groups.get(run.method) ?? [];
    if (run.seed !== undefined && group.some((other) => other.seed === run.seed)) {
      throw new MetricsInputError(
        `summariseRuns: method '${run.method}' has two runs with seed ${run.seed}; each seed must be counted once`,
      );
    }
    group.push(run);
    groups.set(run.method, group);
  });
  return [...groups].map(([method, group]) => ({
    method,
    n: group.length,
    seeds: group.flatMap((run) => (run.seed === undefined ? [] : [run.seed])),
    lastAcc: meanStd(
      group.map((run) => run.lastAcc),
      options,
    ),
    incAcc: meanStd(
      group.map((run) => run.incAcc),
      options,
    ),
  }));
}
