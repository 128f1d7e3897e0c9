'use client';

import Link from 'next/link';
import { usePathname, useRouter } from 'next/navigation';
import { useEffect, useMemo, useRef, useState } from 'react';
import { StatusBadge } from '../components/status-badge';
import { duration, percent, runDuration, statusLabel, timestamp } from '../lib/format';
import {
  settingAt,
  settingPaths,
  settingText,
  termValue,
  viewToParams,
  withTerm,
  type RunRow,
  type RunsView,
} from '../lib/run-rows';

/** How often the page asks the trainer for the runs again (while the tab is visible). */
const REFRESH_MS = 2_000;

const STATUSES = ['queued', 'running', 'interrupted', 'succeeded', 'failed', 'cancelled'];

type StandardKey =
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
  | 'duration'
  | 'tags';

const STANDARD: { key: StandardKey; label: string; numeric?: boolean; sortable?: boolean }[] = [
  { key: 'id', label: 'Run', sortable: true },
  { key: 'status', label: 'Status', sortable: true },
  { key: 'method', label: 'Method', sortable: true },
  { key: 'benchmark', label: 'Benchmark', sortable: true },
  { key: 'dataset', label: 'Dataset', sortable: true },
  { key: 'backbone', label: 'Backbone', sortable: true },
  { key: 'seed', label: 'Seed', numeric: true, sortable: true },
  { key: 'backend', label: 'Backend', sortable: true },
  { key: 'lastAcc', label: 'Last-Acc', numeric: true, sortable: true },
  { key: 'incAcc', label: 'Inc-Acc', numeric: true, sortable: true },
  { key: 'start', label: 'Started (UTC)', sortable: true },
  { key: 'duration', label: 'Duration', numeric: true, sortable: true },
  { key: 'tags', label: 'Tags' },
];

const SETTING = 'setting:';

/**
 * The runs table, live: the trainer is asked again every few seconds for the runs matching the query
 * (evaluated by the trainer), so status, progress and metrics change without a reload. The query, sort,
 * columns and selection live in the URL, so a view can be shared.
 */
export function RunsTable({
  initialRows,
  initialView,
  initialError,
}: {
  initialRows: RunRow[];
  initialView: RunsView;
  initialError?: string;
}) {
  const router = useRouter();
  const pathname = usePathname();
  const [view, setView] = useState<RunsView>(initialView);
  const [draft, setDraft] = useState(initialView.q);
  const [rows, setRows] = useState<RunRow[]>(initialRows);
  const [queryError, setQueryError] = useState(initialError ?? '');
  const [fetchError, setFetchError] = useState('');
  const [now, setNow] = useState(() => Date.now());
  const [addColumn, setAddColumn] = useState('');
  const seenTags = useRef(new Set<string>(initialRows.flatMap((r) => r.tags)));

  // The query box applies after a pause in typing.
  useEffect(() => {
    if (draft === view.q) return;
    const timer = setTimeout(() => setView((v) => ({ ...v, q: draft })), 300);
    return () => clearTimeout(timer);
  }, [draft, view.q]);

  // The view goes into the URL (replacing the entry: typing is not history).
  useEffect(() => {
    const params = viewToParams(view);
    router.replace(params ? `${pathname}?${params}` : pathname, { scroll: false });
  }, [view, pathname, router]);

  // Live rows for the current query.
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      try {
        const response = await fetch(`/api/runs?q=${encodeURIComponent(view.q)}`, { cache: 'no-store' });
        const body = (await response.json()) as { rows?: RunRow[]; error?: string; field?: string };
        if (stopped) return;
        if (response.ok && body.rows) {
          setRows(body.rows);
          for (const r of body.rows) for (const t of r.tags) seenTags.current.add(t);
          setQueryError('');
          setFetchError('');
        } else if (response.status === 400 && body.field === 'q') {
          setRows([]);
          setQueryError(body.error ?? 'the trainer refused the query');
        } else if (response.status === 401) {
          setFetchError('signed out: sign in again to see the runs');
        } else setFetchError(body.error ?? `the dashboard answered ${response.status}`);
      } catch (error) {
        if (!stopped) setFetchError(`could not reach the dashboard (${(error as Error).message})`);
      }
      setNow(Date.now());
      if (!stopped) timer = setTimeout(tick, REFRESH_MS);
    };
    const tick = () => {
      if (document.visibilityState === 'visible') void load();
      else timer = setTimeout(tick, REFRESH_MS);
    };
    void load();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [view.q]);

  const settingColumns = view.cols;
  const shownStandard = STANDARD.filter((c) => !view.hide.includes(c.key));
  const offeredSettings = useMemo(() => settingPaths(rows.map((r) => r.experiment)), [rows]);

  const value = (r: RunRow, key: string): string | number => {
    if (key.startsWith(SETTING)) {
      const v = settingAt(r.experiment, key.slice(SETTING.length));
      return typeof v === 'number' ? v : settingText(v);
    }
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
      case 'tags':
        return r.tags.join(',');
      default:
        return String(r[key as keyof RunRow] ?? '');
    }
  };

  const shown = useMemo(() => {
    const sign = view.desc ? -1 : 1;
    return [...rows].sort((a, b) => {
      const x = value(a, view.sort);
      const y = value(b, view.sort);
      return (
        (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y))) * sign
      );
    });
  }, [rows, view.sort, view.desc, now]);

  const update = (change: Partial<RunsView>) => setView((v) => ({ ...v, ...change }));
  const setTerm = (field: string, valueOf: string) => {
    const q = withTerm(draft, field, valueOf);
    setDraft(q);
    update({ q });
  };
  const sortBy = (key: string, numeric: boolean) =>
    update({ sort: key, desc: view.sort === key ? !view.desc : numeric });
  const toggle = (id: string) =>
    update({ sel: view.sel.includes(id) ? view.sel.filter((x) => x !== id) : [...view.sel, id] });
  const selected = view.sel;
  const tags = [...seenTags.current].sort();

  const header = (key: string, label: string, numeric: boolean) => (
    <th
      key={key}
      className={numeric ? 'num' : undefined}
      aria-sort={view.sort === key ? (view.desc ? 'descending' : 'ascending') : 'none'}
    >
      <button className="sort" type="button" onClick={() => sortBy(key, numeric)}>
        {label}
        {view.sort === key ? (view.desc ? ' ▼' : ' ▲') : ''}
      </button>
    </th>
  );

  const cell = (r: RunRow, key: StandardKey) => {
    const took = runDuration(r, now);
    switch (key) {
      case 'id':
        return <Link href={`/runs/${encodeURIComponent(r.id)}`}>{r.id}</Link>;
      case 'status':
        return (
          <span data-testid="run-row-status" data-status={r.status}>
            <StatusBadge status={r.status} />
            {r.tasks > 0 && r.status !== 'RUN_STATUS_SUCCEEDED' && (
              <span className="muted" data-testid="run-row-progress">
                {' '}
                {r.tasksDone}/{r.tasks}
              </span>
            )}
            {r.waitingFor && (
              <span className="muted" title={`waiting for ${r.waitingFor}`}>
                {' '}
                ⏸
              </span>
            )}
          </span>
        );
      case 'method':
        return r.methodLabel;
      case 'benchmark':
        return <span title={r.benchmarkTitle}>{r.benchmark}</span>;
      case 'dataset':
        return <span data-testid="run-dataset">{r.dataset || '–'}</span>;
      case 'backbone':
        return <span data-testid="run-backbone">{r.backbone || '–'}</span>;
      case 'seed':
        return r.seed;
      case 'backend':
        return r.device && r.device !== 'wasm' ? `${r.backend || '–'} · ${r.device}` : r.backend || '–';
      case 'lastAcc':
        return <span data-testid="run-last-acc">{percent(r.lastAcc, r.hasAccuracy)}</span>;
      case 'incAcc':
        return percent(r.incAcc, r.hasAccuracy);
      case 'start':
        return timestamp(r.startedAtMs || r.createdAtMs);
      case 'duration':
        return took === undefined ? '–' : duration(took);
      case 'tags':
        return r.tags.map((t) => (
          <button key={t} type="button" className="tag secondary" onClick={() => setTerm('tag', t)}>
            {t}
          </button>
        ));
    }
  };

  const noRunsAtAll = rows.length === 0 && view.q === '' && !queryError && !fetchError;

  return (
    <>
      <div className="filters">
        <label>
          Query
          <br />
          <input
            type="search"
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            placeholder="method:slca tag:paper lastAcc>80 stage1.epochs=1 cifar"
            aria-describedby="runs-query-help"
            aria-invalid={queryError ? true : undefined}
            data-testid="runs-filter"
            size={44}
          />
        </label>
        <label>
          Status
          <br />
          <select
            value={termValue(view.q, 'status')}
            onChange={(e) => setTerm('status', e.target.value)}
            data-testid="runs-status"
          >
            <option value="">all</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {statusLabel(`RUN_STATUS_${s.toUpperCase()}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Tag
          <br />
          <select
            value={termValue(view.q, 'tag')}
            onChange={(e) => setTerm('tag', e.target.value)}
            data-testid="runs-tag"
          >
            <option value="">all</option>
            {tags.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <details className="columns" data-testid="runs-columns">
          <summary>Columns</summary>
          <fieldset>
            <legend>Shown</legend>
            {STANDARD.map((c) => (
              <label key={c.key} className="inline">
                <input
                  type="checkbox"
                  checked={!view.hide.includes(c.key)}
                  onChange={() =>
                    update({
                      hide: view.hide.includes(c.key)
                        ? view.hide.filter((k) => k !== c.key)
                        : [...view.hide, c.key],
                    })
                  }
                />{' '}
                {c.label}
              </label>
            ))}
          </fieldset>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              const path = addColumn.trim();
              if (path && !view.cols.includes(path)) update({ cols: [...view.cols, path] });
              setAddColumn('');
            }}
          >
            <label>
              Add a setting column
              <br />
              <input
                list="setting-paths"
                value={addColumn}
                onChange={(e) => setAddColumn(e.target.value)}
                placeholder="stage1.lr"
                data-testid="add-column"
              />
            </label>
            <datalist id="setting-paths">
              {offeredSettings.map((p) => (
                <option key={p} value={p} />
              ))}
            </datalist>{' '}
            <button type="submit" className="secondary">
              Add
            </button>
          </form>
          {view.cols.map((path) => (
            <button
              key={path}
              type="button"
              className="tag secondary"
              aria-label={`remove column ${path}`}
              onClick={() => update({ cols: view.cols.filter((c) => c !== path) })}
            >
              {path} ×
            </button>
          ))}
        </details>
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
      <p id="runs-query-help" className="muted small">
        Terms that must all match: <code>field:value</code> (method, benchmark, dataset, backbone, tag,
        status, backend, device, id), <code>path&lt;op&gt;value</code> over a metric (lastAcc, incAcc, seed)
        or a setting (<code>stage1.epochs=1</code>, <code>alignment.epochs&gt;2</code>), or a word. The
        trainer answers the query; the list refreshes every {REFRESH_MS / 1000} s.
      </p>
      {queryError && (
        <p className="field-error" role="alert" data-testid="runs-query-error">
          The trainer refused the query: {queryError}
        </p>
      )}
      {fetchError && (
        <p className="field-error" role="alert" data-testid="runs-fetch-error">
          {fetchError}
        </p>
      )}
      {noRunsAtAll ? (
        <div className="card empty" data-testid="runs-empty">
          No runs yet. <Link href="/runs/new">Start one</Link> — the embedded benchmark takes about two
          minutes.
        </div>
      ) : (
        <div className="table-wrap">
          <table data-testid="runs-table">
            <thead>
              <tr>
                <th aria-label="select" />
                {shownStandard.map((c) =>
                  c.sortable ? header(c.key, c.label, c.numeric === true) : <th key={c.key}>{c.label}</th>,
                )}
                {settingColumns.map((path) => header(`${SETTING}${path}`, path, false))}
              </tr>
            </thead>
            <tbody>
              {shown.map((r) => (
                <tr key={r.id} data-testid={`run-row-${r.id}`}>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`select ${r.id}`}
                      checked={selected.includes(r.id)}
                      onChange={() => toggle(r.id)}
                    />
                  </td>
                  {shownStandard.map((c) => (
                    <td key={c.key} className={c.numeric ? 'num' : undefined}>
                      {cell(r, c.key)}
                    </td>
                  ))}
                  {settingColumns.map((path) => (
                    <td key={path} data-testid={`setting-${path}`}>
                      {settingText(settingAt(r.experiment, path))}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          {shown.length === 0 && !queryError && <p className="empty">No run matches the query.</p>}
        </div>
      )}
    </>
  );
}
