import { benchmarkTitle, methodLabel, methodLabels, type Catalog } from './catalog';
import { runBackbone, runDataset } from './run-groups';
import type { RunRecordInput } from './runs-export';

/** A row of the Runs page: what the table shows and sorts of a run. */
export interface RunRow {
  id: string;
  status: string;
  method: string;
  /** The catalogue's name of the method (its id without the catalogue). */
  methodLabel: string;
  benchmark: string;
  benchmarkTitle: string;
  /** From the run's lineage, else its experiment ('' for older records). */
  dataset: string;
  backbone: string;
  seed: number;
  backend: string;
  device: string;
  tags: string[];
  tasks: number;
  tasksDone: number;
  lastAcc: number;
  incAcc: number;
  hasAccuracy: boolean;
  createdAtMs: number;
  startedAtMs: number;
  finishedAtMs: number;
  waitingFor: string;
  /** The run's experiment, for the setting columns a user adds (`stage1.lr`). */
  experiment: Record<string, unknown>;
}

/** What a row needs of the trainer's run record: the export's, and what may be waited for. */
export interface RunRowInput extends RunRecordInput {
  device?: string;
  waitingFor?: string;
}

export function runRow(run: RunRowInput, catalog: Catalog): RunRow {
  let experiment: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(run.configJson || '{}') as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      experiment = parsed as Record<string, unknown>;
  } catch {
    // An unreadable configuration shows as empty setting columns.
  }
  return {
    id: run.id,
    status: run.status,
    method: run.method,
    methodLabel: methodLabel(methodLabels(catalog), run.method),
    benchmark: run.benchmark,
    benchmarkTitle: benchmarkTitle(catalog, run.benchmark),
    dataset: runDataset(run),
    backbone: runBackbone(run),
    seed: run.seed,
    backend: run.backend,
    device: run.device ?? '',
    tags: run.tags,
    tasks: run.tasks,
    tasksDone: run.tasksDone,
    lastAcc: run.lastAcc,
    incAcc: run.incAcc,
    hasAccuracy: run.accuracies.length > 0,
    createdAtMs: run.createdAtMs,
    startedAtMs: run.startedAtMs,
    finishedAtMs: run.finishedAtMs,
    waitingFor: run.waitingFor ?? '',
    experiment,
  };
}

/** The value at a dotted path of a run's experiment (`stage1.lr`), or undefined. */
export function settingAt(experiment: Record<string, unknown>, path: string): unknown {
  let node: unknown = experiment;
  for (const key of path.split('.')) {
    if (!node || typeof node !== 'object' || !(key in node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** Every leaf path of the experiments (`stage1.lr`, `compute.backend`, …), sorted: the setting columns on offer. */
export function settingPaths(experiments: readonly Record<string, unknown>[]): string[] {
  const out = new Set<string>();
  const walk = (node: unknown, prefix: string) => {
    if (node && typeof node === 'object' && !Array.isArray(node)) {
      for (const [k, v] of Object.entries(node)) walk(v, prefix ? `${prefix}.${k}` : k);
    } else if (prefix) out.add(prefix);
  };
  for (const e of experiments) walk(e, '');
  return [...out].sort();
}

/** A setting's value as a cell shows it. */
export function settingText(value: unknown): string {
  if (value === undefined) return '–';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/**
 * The Runs page's view as URL parameters, so a view can be shared: `q` (the trainer's runs query),
 * `sort` and `desc`, `cols` (setting columns, comma-separated paths), `hide` (standard columns hidden)
 * and `sel` (selected run ids).
 */
export interface RunsView {
  q: string;
  sort: string;
  desc: boolean;
  /** Setting columns added, by path. */
  cols: string[];
  /** Standard columns hidden, by key. */
  hide: string[];
  sel: string[];
}

export const DEFAULT_VIEW: RunsView = { q: '', sort: 'start', desc: true, cols: [], hide: [], sel: [] };

const list = (value: string | null | undefined) => (value ? value.split(',').filter((s) => s !== '') : []);

export function viewFromParams(params: URLSearchParams): RunsView {
  return {
    q: params.get('q') ?? DEFAULT_VIEW.q,
    sort: params.get('sort') || DEFAULT_VIEW.sort,
    desc: params.has('desc') ? params.get('desc') === '1' : DEFAULT_VIEW.desc,
    cols: list(params.get('cols')),
    hide: list(params.get('hide')),
    sel: list(params.get('sel')),
  };
}

/** The view's parameters, defaults left out (an empty string for the default view). */
export function viewToParams(view: RunsView): string {
  const params = new URLSearchParams();
  if (view.q) params.set('q', view.q);
  if (view.sort !== DEFAULT_VIEW.sort) params.set('sort', view.sort);
  if (view.desc !== DEFAULT_VIEW.desc || view.sort !== DEFAULT_VIEW.sort)
    params.set('desc', view.desc ? '1' : '0');
  if (view.cols.length) params.set('cols', view.cols.join(','));
  if (view.hide.length) params.set('hide', view.hide.join(','));
  if (view.sel.length) params.set('sel', view.sel.join(','));
  return params.toString();
}

/**
 * The query with its `field:` terms replaced by `field:value` (none when value is empty): what the Status
 * and Tag menus do to the query box.
 */
export function withTerm(query: string, field: string, value: string): string {
  const kept = query.split(/\s+/).filter((t) => t !== '' && !t.startsWith(`${field}:`));
  if (value) kept.push(`${field}:${/\s/.test(value) ? `"${value}"` : value}`);
  return kept.join(' ');
}

/** The value of the query's `field:` term, or ''. */
export function termValue(query: string, field: string): string {
  const term = query.split(/\s+/).find((t) => t.startsWith(`${field}:`));
  return term ? term.slice(field.length + 1).replace(/^"|"$/g, '') : '';
}
