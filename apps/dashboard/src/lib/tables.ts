import type { DataTable, PublishedValue } from '@slca/metrics';
import type { ConfigDiffRow, ConfigGroup } from './run-groups';

/** The published mean of a value (a bare number or mean ± std), or null. */
function paperMean(value: PublishedValue | undefined): number | null {
  return value === undefined ? null : typeof value === 'number' ? value : value.mean;
}

function paperStd(value: PublishedValue | undefined): number | null {
  return value === undefined || typeof value === 'number' ? null : (value.std ?? null);
}

/**
 * The compare page's paper-style table. `text`: the cells as the page shows them (mean ± std, the paper's
 * number with ≈ where read off a plot, signed Δ), for Markdown and LaTeX. `numbers`: means, stds and the
 * paper's numbers in their own columns, for CSV and JSON.
 */
export function paperDataTable(groups: readonly ConfigGroup[], kind: 'text' | 'numbers'): DataTable {
  const right = 'right' as const;
  const configuration = (g: ConfigGroup) => g.configurationId || `${g.benchmark}/${g.method}`;
  if (kind === 'text') {
    return {
      columns: [
        { title: 'Method' },
        { title: 'Configuration' },
        { title: 'Last-Acc (%)', align: right },
        { title: 'paper', align: right },
        { title: 'Δ', align: right },
        { title: 'Inc-Acc (%)', align: right },
        { title: 'paper', align: right },
        { title: 'Δ', align: right },
        { title: 'Seeds', align: right },
      ],
      rows: groups.map((g) => [
        g.label,
        configuration(g),
        g.lastAccText,
        g.lastAccPaper,
        g.lastAccDelta,
        g.incAccText,
        g.incAccPaper,
        g.incAccDelta,
        String(g.seeds.length),
      ]),
    };
  }
  return {
    columns: [
      { title: 'method' },
      { title: 'configuration' },
      { title: 'benchmark' },
      { title: 'dataset' },
      { title: 'backbone' },
      { title: 'last_acc_mean', align: right },
      { title: 'last_acc_std', align: right },
      { title: 'last_acc_paper', align: right },
      { title: 'last_acc_paper_std', align: right },
      { title: 'inc_acc_mean', align: right },
      { title: 'inc_acc_std', align: right },
      { title: 'inc_acc_paper', align: right },
      { title: 'inc_acc_paper_std', align: right },
      { title: 'paper_approximate' },
      { title: 'seeds', align: right, digits: 0 },
      { title: 'runs' },
    ],
    rows: groups.map((g) => [
      g.label,
      configuration(g),
      g.benchmark,
      g.dataset,
      g.backbone,
      g.lastAcc.mean,
      g.lastAcc.std,
      paperMean(g.published?.lastAcc),
      paperStd(g.published?.lastAcc),
      g.incAcc.mean,
      g.incAcc.std,
      paperMean(g.published?.incAcc),
      paperStd(g.published?.incAcc),
      g.published ? String(g.published.approximate) : null,
      g.seeds.length,
      g.runs.map((r) => r.id).join(' '),
    ]),
  };
}

/** What a runs table shows of a run. */
export interface RunTableInput {
  id: string;
  status: string;
  methodLabel: string;
  benchmark: string;
  dataset: string;
  backbone: string;
  seed: number;
  backend: string;
  tags: readonly string[];
  tasks: number;
  tasksDone: number;
  /** Null until the run has an evaluated task. */
  lastAcc: number | null;
  incAcc: number | null;
  createdAtMs: number;
  startedAtMs: number;
  finishedAtMs: number;
}

const iso = (ms: number) => (ms ? new Date(ms).toISOString() : null);

/** The runs as a table: the Runs page's columns, with full-precision accuracies and ISO times. */
export function runsDataTable(runs: readonly RunTableInput[]): DataTable {
  const right = 'right' as const;
  return {
    columns: [
      { title: 'run' },
      { title: 'status' },
      { title: 'method' },
      { title: 'benchmark' },
      { title: 'dataset' },
      { title: 'backbone' },
      { title: 'seed', align: right, digits: 0 },
      { title: 'backend' },
      { title: 'tags' },
      { title: 'tasks_done', align: right, digits: 0 },
      { title: 'tasks', align: right, digits: 0 },
      { title: 'last_acc', align: right },
      { title: 'inc_acc', align: right },
      { title: 'created_at' },
      { title: 'started_at' },
      { title: 'finished_at' },
    ],
    rows: runs.map((r) => [
      r.id,
      r.status.replace(/^RUN_STATUS_/, '').toLowerCase(),
      r.methodLabel,
      r.benchmark,
      r.dataset || null,
      r.backbone || null,
      r.seed,
      r.backend || null,
      r.tags.join(' '),
      r.tasksDone,
      r.tasks,
      r.lastAcc,
      r.incAcc,
      iso(r.createdAtMs),
      iso(r.startedAtMs),
      iso(r.finishedAtMs),
    ]),
  };
}

/** The settings in which the compared runs differ: one row per setting, one column per run. */
export function configDiffTable(runIds: readonly string[], rows: readonly ConfigDiffRow[]): DataTable {
  return {
    columns: [{ title: 'setting' }, ...runIds.map((id) => ({ title: id, align: 'left' as const }))],
    rows: rows.map((r) => [r.path, ...r.values.map((v) => v ?? null)]),
  };
}
