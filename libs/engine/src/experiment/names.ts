import { PAPER_BENCHMARKS } from '../benchmarks/paper';

/**
 * The naming rules of the platform, defined once: run ids, tags, dataset and backbone names, and the
 * benchmarks the catalogue knows. Run ids and names become object-store prefixes and Kubernetes labels,
 * so they are short, lower-case where it matters, and never contain `..`.
 */
export const RUN_ID = /^[a-z0-9][a-z0-9._-]{0,62}$/;
export const TAG = /^[A-Za-z0-9][A-Za-z0-9 ._:/-]{0,39}$/;
export const DATASET_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
export const BACKBONE_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** The embedded default first, then the paper's four benchmarks. */
export const BENCHMARK_IDS = ['embedded', ...PAPER_BENCHMARKS] as const;
export type BenchmarkId = (typeof BENCHMARK_IDS)[number];

/** Why `value` is not a valid run id, or null when it is. */
export function runIdProblem(value: string): string | null {
  if (!RUN_ID.test(value) || value.includes('..'))
    return `"${value}" must match ${RUN_ID.source} without '..'`;
  return null;
}

/** Why `value` is not a valid tag, or null when it is. */
export function tagProblem(value: string): string | null {
  return TAG.test(value) ? null : `"${value}" must match ${TAG.source}`;
}

/** Why `value` is not a valid backbone name, or null when it is. */
export function backboneNameProblem(value: string): string | null {
  if (!BACKBONE_NAME.test(value) || value.includes('..'))
    return `"${value}" must match ${BACKBONE_NAME.source} without '..'`;
  return null;
}
