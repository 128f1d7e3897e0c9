import { formatMeanStd, meanStd, type MeanStd } from '@slca/metrics';
import { METHOD_ORDER, methodLabel } from './format';

/** What grouping and comparing need of a run. */
export interface RunSummaryInput {
  id: string;
  status: string;
  benchmark: string;
  method: string;
  seed: number;
  configJson: string;
  lastAcc: number;
  incAcc: number;
  accuracies: number[];
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Settings that differ between seeds of one configuration, or that do not change the result. */
const PER_SEED_KEYS = new Set(['seed', 'workers']);

export function parseConfig(configJson: string): Record<string, Json> {
  try {
    const value = JSON.parse(configJson || '{}') as Json;
    return value && typeof value === 'object' && !Array.isArray(value) ? value : {};
  } catch {
    return {};
  }
}

/** `{a:{b:1}}` → `{"a.b": "1"}`: every leaf setting by its dotted path, values as JSON text. */
export function flattenConfig(
  value: Json,
  path = '',
  out: Record<string, string> = {},
): Record<string, string> {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const key of Object.keys(value).sort())
      flattenConfig(value[key], path ? `${path}.${key}` : key, out);
  } else {
    out[path] = JSON.stringify(value);
  }
  return out;
}

/** The configuration that identifies a group of seeds: everything but the seed (and worker count). */
export function configurationKey(run: Pick<RunSummaryInput, 'benchmark' | 'configJson'>): string {
  const flat = flattenConfig(parseConfig(run.configJson));
  const kept = Object.entries(flat).filter(([path]) => !PER_SEED_KEYS.has(path.split('.').at(-1) ?? ''));
  return JSON.stringify([run.benchmark, kept]);
}

export interface ConfigDiffRow {
  path: string;
  /** The value in each compared run, in order; undefined where the run lacks the setting. */
  values: (string | undefined)[];
}

/** The settings whose values are not the same in every run. */
export function configDiff(configs: readonly string[]): ConfigDiffRow[] {
  const flats = configs.map((c) => flattenConfig(parseConfig(c)));
  const paths = [...new Set(flats.flatMap((f) => Object.keys(f)))].sort();
  return paths
    .map((path) => ({ path, values: flats.map((f) => f[path]) }))
    .filter((row) => new Set(row.values).size > 1);
}

export interface ConfigGroup {
  key: string;
  benchmark: string;
  method: string;
  /** `SLCA` or `SLCA (stage1.epochs=1)` when one method appears with several configurations. */
  label: string;
  runs: RunSummaryInput[];
  seeds: number[];
  lastAcc: MeanStd;
  incAcc: MeanStd;
  lastAccText: string;
  incAccText: string;
}

/**
 * Groups finished runs by configuration over seeds (one run per seed), in the paper's method order, with
 * mean ± std (population std, as the paper's tables) of Last-Acc and Inc-Acc.
 */
export function groupBySeeds(runs: readonly RunSummaryInput[]): ConfigGroup[] {
  const finished = runs.filter((r) => r.status === 'RUN_STATUS_SUCCEEDED');
  const byKey = new Map<string, RunSummaryInput[]>();
  for (const run of finished) {
    const key = configurationKey(run);
    const group = byKey.get(key) ?? [];
    if (!group.some((other) => other.seed === run.seed)) group.push(run);
    byKey.set(key, group);
  }
  const groups = [...byKey].map(([key, members]) => {
    const lastAcc = meanStd(members.map((r) => r.lastAcc));
    const incAcc = meanStd(members.map((r) => r.incAcc));
    return {
      key,
      benchmark: members[0].benchmark,
      method: members[0].method,
      label: methodLabel(members[0].method),
      runs: members,
      seeds: members.map((r) => r.seed).sort((a, b) => a - b),
      lastAcc,
      incAcc,
      lastAccText: formatMeanStd(lastAcc),
      incAccText: formatMeanStd(incAcc),
    };
  });
  // Where a method has several configurations, name each by what sets it apart from the others.
  for (const method of new Set(groups.map((g) => g.method))) {
    const same = groups.filter((g) => g.method === method);
    if (same.length < 2) continue;
    const diff = configDiff(same.map((g) => g.runs[0].configJson)).filter(
      (row) => !PER_SEED_KEYS.has(row.path.split('.').at(-1) ?? ''),
    );
    same.forEach((g, k) => {
      const parts = diff.slice(0, 2).map((row) => `${row.path}=${row.values[k] ?? '–'}`);
      g.label = `${methodLabel(method)} (${parts.join(', ') || g.benchmark})`;
    });
  }
  const rank = (m: string) => (METHOD_ORDER.includes(m) ? METHOD_ORDER.indexOf(m) : METHOD_ORDER.length);
  return groups.sort((a, b) => rank(a.method) - rank(b.method) || a.label.localeCompare(b.label));
}
