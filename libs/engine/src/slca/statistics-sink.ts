import { cholesky, StatisticsError, type ClassStatistics } from './statistics';

/**
 * Where a run keeps its class statistics between tasks. In-process runs keep them in memory; the trainer
 * service stores them in the statistics store, so a resumed run finds every class it learned before.
 */
export interface StatisticsSink {
  put(stats: ClassStatistics): Promise<void>;
  /** Statistics of the given class labels, in that order; throws naming a class it does not have. */
  get(labels: readonly number[]): Promise<ClassStatistics[]>;
}

export class MemoryStatistics implements StatisticsSink {
  private readonly byLabel = new Map<number, ClassStatistics>();

  async put(stats: ClassStatistics): Promise<void> {
    this.byLabel.set(stats.classId, stats);
  }

  async get(labels: readonly number[]): Promise<ClassStatistics[]> {
    return labels.map((c) => {
      const s = this.byLabel.get(c);
      if (!s) throw new StatisticsError(`no statistics stored for class ${c}`);
      return s;
    });
  }
}

/**
 * The mean and covariance as one little-endian float64 buffer (mean[dim] then covariance[dim·dim]): the
 * form the statistics store keeps. The Cholesky factor is recomputed on decoding (deterministically, so a
 * stored class samples exactly like the in-memory one).
 */
export function encodeClassStatistics(stats: ClassStatistics): Uint8Array {
  const out = new Float64Array(stats.dim + stats.dim * stats.dim);
  out.set(stats.mean, 0);
  out.set(stats.covariance, stats.dim);
  return new Uint8Array(out.buffer);
}

export function decodeClassStatistics(
  bytes: Uint8Array,
  meta: { classId: number; task: number; count: number; dim: number },
): ClassStatistics {
  const { dim, classId } = meta;
  const expected = (dim + dim * dim) * 8;
  if (bytes.byteLength !== expected)
    throw new StatisticsError(
      `class ${classId}: statistics of dim ${dim} take ${expected} bytes, got ${bytes.byteLength}`,
    );
  // A copy with its own, aligned buffer: a Node Buffer's `slice()` is a view into a shared pool.
  const values = new Float64Array(Uint8Array.from(bytes).buffer);
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new StatisticsError(`class ${classId}: non-finite value at index ${bad}`);
  const mean = values.slice(0, dim);
  const covariance = values.slice(dim);
  for (let i = 0; i < dim; i++)
    for (let j = 0; j < i; j++)
      if (covariance[i * dim + j] !== covariance[j * dim + i])
        throw new StatisticsError(`class ${classId}: covariance is not symmetric at (${i}, ${j})`);
  try {
    return { ...meta, mean, covariance, cholesky: cholesky(covariance, dim) };
  } catch (e) {
    throw new StatisticsError(`class ${classId}: ${(e as Error).message}`);
  }
}
