'use client';

import Link from 'next/link';
import { useMemo, useState } from 'react';
import { StatusBadge } from '../components/status-badge';
import { duration, percent, runDuration, statusLabel, timestamp } from '../lib/format';

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
  tags: string[];
  tasks: number;
  tasksDone: number;
  lastAcc: number;
  incAcc: number;
  hasAccuracy: boolean;
  createdAtMs: number;
  startedAtMs: number;
  finishedAtMs: number;
}

type SortKey =
  | 'id'
  | 'status'
  | 'method'
  | 'benchmark'
  | 'dataset'
  | 'backbone'
  | 'seed'
  | 'backend'
  | 'lastAcc'
  | 'incAcc'
  | 'start'
  | 'duration';

const COLUMNS: { key: SortKey; label: string; numeric?: boolean }[] = [
  { key: 'id', label: 'Run' },
  { key: 'status', label: 'Status' },
  { key: 'method', label: 'Method' },
  { key: 'benchmark', label: 'Benchmark' },
  { key: 'dataset', label: 'Dataset' },
  { key: 'backbone', label: 'Backbone' },
  { key: 'seed', label: 'Seed', numeric: true },
  { key: 'backend', label: 'Backend' },
  { key: 'lastAcc', label: 'Last-Acc', numeric: true },
  { key: 'incAcc', label: 'Inc-Acc', numeric: true },
  { key: 'start', label: 'Started (UTC)' },
  { key: 'duration', label: 'Duration', numeric: true },
];

/** The runs table: text filter, status and tag filters, sorting by any column, selection for Compare. */
export function RunsTable({ runs, now }: { runs: RunRow[]; now: number }) {
  const [query, setQuery] = useState('');
  const [status, setStatus] = useState('');
  const [tag, setTag] = useState('');
  const [sort, setSort] = useState<{ key: SortKey; descending: boolean }>({ key: 'start', descending: true });
  const [selected, setSelected] = useState<string[]>([]);

  const tags = useMemo(() => [...new Set(runs.flatMap((r) => r.tags))].sort(), [runs]);
  const statuses = useMemo(() => [...new Set(runs.map((r) => r.status))].sort(), [runs]);

  const value = (r: RunRow, key: SortKey): string | number => {
    switch (key) {
      case 'lastAcc':
        return r.hasAccuracy ? r.lastAcc : -1;
      case 'incAcc':
        return r.hasAccuracy ? r.incAcc : -1;
      case 'method':
        return r.methodLabel;
      case 'start':
        return r.startedAtMs || r.createdAtMs;
      case 'duration':
        return runDuration(r, now) ?? -1;
      default:
        return r[key];
    }
  };

  const shown = useMemo(() => {
    const q = query.trim().toLowerCase();
    const rows = runs.filter(
      (r) =>
        (!status || r.status === status) &&
        (!tag || r.tags.includes(tag)) &&
        (!q ||
          [
            r.id,
            r.method,
            r.methodLabel,
            r.benchmark,
            r.benchmarkTitle,
            r.dataset,
            r.backbone,
            String(r.seed),
            r.backend,
            ...r.tags,
          ]
            .join(' ')
            .toLowerCase()
            .includes(q)),
    );
    const sign = sort.descending ? -1 : 1;
    return rows.sort((a, b) => {
      const x = value(a, sort.key);
      const y = value(b, sort.key);
      return (
        (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y))) * sign
      );
    });
  }, [runs, query, status, tag, sort, now]);

  const toggle = (id: string) =>
    setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s, id]));

  return (
    <>
      <div className="filters">
        <label>
          Filter
          <br />
          <input
            type="search"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            placeholder="id, method, dataset, seed, tag…"
            data-testid="runs-filter"
          />
        </label>
        <label>
          Status
          <br />
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">all</option>
            {statuses.map((s) => (
              <option key={s} value={s}>
                {statusLabel(s)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Tag
          <br />
          <select value={tag} onChange={(e) => setTag(e.target.value)}>
            <option value="">all</option>
            {tags.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <Link
          className="button"
          aria-disabled={selected.length < 2}
          href={
            selected.length >= 2 ? `/compare?runs=${selected.map(encodeURIComponent).join(',')}` : '/compare'
          }
          data-testid="compare-selected"
        >
          Compare selected ({selected.length})
        </Link>
      </div>
      <div className="table-wrap">
        <table data-testid="runs-table">
          <thead>
            <tr>
              <th aria-label="select" />
              {COLUMNS.map((c) => (
                <th
                  key={c.key}
                  className={c.numeric ? 'num' : undefined}
                  aria-sort={sort.key === c.key ? (sort.descending ? 'descending' : 'ascending') : 'none'}
                >
                  <button
                    className="sort"
                    type="button"
                    onClick={() =>
                      setSort((s) => ({
                        key: c.key,
                        descending: s.key === c.key ? !s.descending : c.numeric === true,
                      }))
                    }
                  >
                    {c.label}
                    {sort.key === c.key ? (sort.descending ? ' ▼' : ' ▲') : ''}
                  </button>
                </th>
              ))}
              <th>Tags</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => {
              const took = runDuration(r, now);
              return (
                <tr key={r.id} data-testid={`run-row-${r.id}`}>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`select ${r.id}`}
                      checked={selected.includes(r.id)}
                      onChange={() => toggle(r.id)}
                    />
                  </td>
                  <td>
                    <Link href={`/runs/${encodeURIComponent(r.id)}`}>{r.id}</Link>
                  </td>
                  <td>
                    <StatusBadge status={r.status} />
                    {r.tasks > 0 && !['RUN_STATUS_SUCCEEDED'].includes(r.status) && (
                      <span className="muted">
                        {' '}
                        {r.tasksDone}/{r.tasks}
                      </span>
                    )}
                  </td>
                  <td>{r.methodLabel}</td>
                  <td title={r.benchmarkTitle}>{r.benchmark}</td>
                  <td data-testid="run-dataset">{r.dataset || '–'}</td>
                  <td data-testid="run-backbone">{r.backbone || '–'}</td>
                  <td className="num">{r.seed}</td>
                  <td>{r.backend || '–'}</td>
                  <td className="num">{percent(r.lastAcc, r.hasAccuracy)}</td>
                  <td className="num">{percent(r.incAcc, r.hasAccuracy)}</td>
                  <td>{timestamp(r.startedAtMs || r.createdAtMs)}</td>
                  <td className="num">{took === undefined ? '–' : duration(took)}</td>
                  <td>
                    {r.tags.map((t) => (
                      <button key={t} type="button" className="tag secondary" onClick={() => setTag(t)}>
                        {t}
                      </button>
                    ))}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {shown.length === 0 && <p className="empty">No run matches the filter.</p>}
      </div>
    </>
  );
}
