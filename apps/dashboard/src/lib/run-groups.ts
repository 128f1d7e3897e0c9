import { formatMeanStd, summariseRuns, type MeanStd, type PublishedValue } from '@slca/metrics';
import {
  benchmarkRank,
  configurationPath,
  EMPTY_CATALOG,
  findConfiguration,
  methodLabel,
  methodLabels,
  methodRank,
  publishedOf,
  type Catalog,
  type Published,
} from './catalog';
import { flattenConfig, isObject, parseConfig, settingsBetween, type Json } from './experiment';

export { flattenConfig, parseConfig } from './experiment';

/** What the run records lineage: the catalogue configuration, dataset and backbone it ran with. */
export interface LineageInput {
  configurationId?: string;
  dataset?: string;
  backbone?: string;
}

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
  /** Absent for runs not yet prepared and for runs recorded before lineage was kept. */
  lineage?: LineageInput | null;
}

/** Settings that differ between seeds of one configuration, or that do not change the result. */
const PER_SEED_KEYS = new Set(['seed', 'workers']);

const text = (v: Json | undefined) => (typeof v === 'string' ? v : '');

/** The catalogue configuration a run is or derives from (`embedded/vit-emoji/slca@v1`), or ''. */
export function runConfigurationId(run: Pick<RunSummaryInput, 'configJson' | 'lineage'>): string {
  if (run.lineage?.configurationId) return run.lineage.configurationId;
  const own = parseConfig(run.configJson).configuration;
  return isObject(own) ? text(own.id) : '';
}

/** The dataset a run is on: its lineage's, else its experiment's ('' for records older than both). */
export function runDataset(run: Pick<RunSummaryInput, 'configJson' | 'lineage'>): string {
  return run.lineage?.dataset || text(parseConfig(run.configJson).dataset);
}

export function runBackbone(run: Pick<RunSummaryInput, 'configJson' | 'lineage'>): string {
  return run.lineage?.backbone || text(parseConfig(run.configJson).backbone);
}

/**
 * The configuration that identifies a group of seeds: the catalogue configuration (else benchmark and
 * method) and every setting but the seed (and worker count), so runs with other overrides stay apart.
 */
export function configurationKey(
  run: Pick<RunSummaryInput, 'benchmark' | 'method' | 'configJson' | 'lineage'>,
): string {
  const flat = flattenConfig(parseConfig(run.configJson));
  const kept = Object.entries(flat).filter(([path]) => !PER_SEED_KEYS.has(path.split('.').at(-1) ?? ''));
  const id = configurationPath(runConfigurationId(run)) || `${run.benchmark}/${run.method}`;
  return JSON.stringify([id, kept]);
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
  /** The catalogue configuration (with its version), '' for runs that name none. */
  configurationId: string;
  dataset: string;
  backbone: string;
  /**
   * `SLCA`, `SLCA (initClasses=15, stage1.epochs=1)` for a configuration run with overrides, or, without
   * a catalogue configuration, named by what sets it apart from the method's other groups.
   */
  label: string;
  /** What the runs changed from their catalogue configuration (`path=value`). */
  changes: string[];
  runs: RunSummaryInput[];
  seeds: number[];
  lastAcc: MeanStd;
  incAcc: MeanStd;
  /** `91.53 ± 0.28`, or the value alone for one seed. */
  lastAccText: string;
  incAccText: string;
  /** `1 seed`, `3 seeds`. */
  seedsText: string;
  /** The paper's numbers for the configuration, where the catalogue has them. */
  published?: Published;
  /** The published Last-Acc (`91.53 ± 0.28`, `≈ 41.80`) or `–`. */
  lastAccPaper: string;
  /** Ours − the paper's mean (`+0.42`, `-1.07`), or `–`. */
  lastAccDelta: string;
  incAccPaper: string;
  incAccDelta: string;
}

const MISSING = '–';

/** Mean ± std over seeds; one seed has no spread to show, so it is the value alone. */
export function meanStdText(ms: MeanStd, digits = 2): string {
  return ms.n === 1 ? ms.mean.toFixed(digits) : formatMeanStd(ms, digits);
}

function publishedText(value: PublishedValue | undefined, approximate: boolean, digits = 2): string {
  if (value === undefined) return MISSING;
  const mark = approximate ? '≈ ' : '';
  if (typeof value === 'number') return `${mark}${value.toFixed(digits)}`;
  return value.std === undefined
    ? `${mark}${value.mean.toFixed(digits)}`
    : `${mark}${formatMeanStd({ mean: value.mean, std: value.std, n: 0 }, digits)}`;
}

/** Our mean − the published mean, signed, as the metrics library's Markdown table writes it. */
function deltaText(
  ours: MeanStd,
  value: PublishedValue | undefined,
  approximate: boolean,
  digits = 2,
): string {
  if (value === undefined) return MISSING;
  const paper = typeof value === 'number' ? value : value.mean;
  const diff = (ours.mean - paper).toFixed(digits);
  const signed = Number(diff) === 0 ? (0).toFixed(digits) : diff.startsWith('-') ? diff : `+${diff}`;
  return `${approximate ? '≈ ' : ''}${signed}`;
}

/** At most three changes in a label; the rest are counted. */
function changesLabel(changes: readonly string[]): string {
  const shown = changes.slice(0, 3).join(', ');
  return changes.length > 3 ? `${shown}, +${changes.length - 3} more` : shown;
}

/**
 * Groups finished runs by configuration over seeds (one run per seed) with mean ± std (numpy's std,
 * ddof 0, as the paper's tables) of Last-Acc and Inc-Acc, beside the published number and our
 * difference to it where the catalogue has one; in the catalogue's benchmark and method order.
 */
export function groupBySeeds(
  runs: readonly RunSummaryInput[],
  catalog: Catalog = EMPTY_CATALOG,
): ConfigGroup[] {
  const labels = methodLabels(catalog);
  const finished = runs.filter((r) => r.status === 'RUN_STATUS_SUCCEEDED');
  const byKey = new Map<string, RunSummaryInput[]>();
  for (const run of finished) {
    const key = configurationKey(run);
    const group = byKey.get(key) ?? [];
    if (!group.some((other) => other.seed === run.seed)) group.push(run);
    byKey.set(key, group);
  }
  const groups = [...byKey].map(([key, members]): ConfigGroup => {
    const [summary] = summariseRuns(
      members.map((r) => ({ method: key, lastAcc: r.lastAcc, incAcc: r.incAcc, seed: r.seed })),
    );
    const first = members[0];
    const configurationId = runConfigurationId(first);
    const configuration = findConfiguration(catalog, configurationId);
    const changes = configuration
      ? settingsBetween(parseConfig(configuration.experimentJson), parseConfig(first.configJson))
      : [];
    const published = publishedOf(configuration?.published);
    const approximate = published?.approximate ?? false;
    const label = methodLabel(labels, first.method);
    return {
      key,
      benchmark: first.benchmark,
      method: first.method,
      configurationId,
      dataset: runDataset(first),
      backbone: runBackbone(first),
      label: changes.length ? `${label} (${changesLabel(changes)})` : label,
      changes,
      runs: members,
      seeds: members.map((r) => r.seed).sort((a, b) => a - b),
      lastAcc: summary.lastAcc,
      incAcc: summary.incAcc,
      lastAccText: meanStdText(summary.lastAcc),
      incAccText: meanStdText(summary.incAcc),
      seedsText: `${summary.n} ${summary.n === 1 ? 'seed' : 'seeds'}`,
      published,
      lastAccPaper: publishedText(published?.lastAcc, approximate),
      lastAccDelta: deltaText(summary.lastAcc, published?.lastAcc, approximate),
      incAccPaper: publishedText(published?.incAcc, approximate),
      incAccDelta: deltaText(summary.incAcc, published?.incAcc, approximate),
    };
  });
  // Runs that name no catalogue configuration: where a method has several groups, name each by what
  // sets it apart from the others.
  const unnamed = groups.filter((g) => !findConfiguration(catalog, g.configurationId));
  for (const method of new Set(unnamed.map((g) => g.method))) {
    const same = unnamed.filter((g) => g.method === method);
    if (same.length < 2) continue;
    const diff = configDiff(same.map((g) => g.runs[0].configJson)).filter(
      (row) => !PER_SEED_KEYS.has(row.path.split('.').at(-1) ?? ''),
    );
    same.forEach((g, k) => {
      const parts = diff.slice(0, 2).map((row) => `${row.path}=${row.values[k] ?? MISSING}`);
      g.label = `${methodLabel(labels, method)} (${parts.join(', ') || g.benchmark})`;
    });
  }
  return groups.sort(
    (a, b) =>
      benchmarkRank(catalog, a.benchmark) - benchmarkRank(catalog, b.benchmark) ||
      a.benchmark.localeCompare(b.benchmark) ||
      methodRank(catalog, a.method) - methodRank(catalog, b.method) ||
      a.label.localeCompare(b.label),
  );
}
