'use client';

import { useEffect, useId, useMemo, useRef, useState } from 'react';
import type uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { ChartDataTable } from './data-table';
import { alignSeries, ema, logTickLabel, logTicks, nearestValueIndex, valueLabel } from './plot-data';
import { SERIES_COLOURS, tickLabel, type Domain } from './scale';
import { seriesTable } from './series-table';

export interface Series {
  name: string;
  points: readonly { x: number; y: number }[];
  colour?: string;
  /** Draw a dot at every point (few points, e.g. one per task). */
  dots?: boolean;
  /** A shaded band around the line (e.g. mean ± std over seeds), at the same x values as `points`. */
  band?: readonly { x: number; lo: number; hi: number }[];
  /** What the legend shows at each x instead of the value (e.g. `18.48 ± 0.30 (n = 3)`). */
  labels?: readonly { x: number; text: string }[];
}

export interface Marker {
  x: number;
  label: string;
}

/** One choice of x axis: the same curves plotted against steps, epochs, tasks or time. */
export interface XView {
  id: string;
  /** What the axis picker shows (`epoch`, `step`, `time`). */
  label: string;
  xLabel: string;
  series: readonly Series[];
  markers?: readonly Marker[];
}

export interface LineChartProps {
  title: string;
  series: readonly Series[];
  xLabel: string;
  yLabel: string;
  /** Other x axes the user may pick (the first one is `series` against `xLabel`). */
  views?: readonly XView[];
  /** What the axis picker calls the first x axis (default: `xLabel`). */
  xName?: string;
  xDomain?: Domain;
  yDomain?: Domain;
  /** Integer ticks only on the x axis (tasks, epochs). */
  integerX?: boolean;
  /** Vertical lines, e.g. task boundaries. */
  markers?: readonly Marker[];
  /** A log₁₀ y axis (values > 0), labelled with the values (1e-2, 1e-3). */
  logY?: boolean;
  /** Offer an EMA smoothing slider (loss curves). */
  smoothing?: boolean;
  testId?: string;
  emptyText?: string;
  /** Decimals of the values in the chart's data table and legend; default 2. */
  tableDigits?: number;
}

const HEIGHT = 280;

interface Theme {
  fg: string;
  axisText: string;
  axis: string;
  grid: string;
  marker: string;
  markerText: string;
  card: string;
}

/** The chart's colours from the page's CSS variables (uPlot draws on a canvas, which CSS does not reach). */
function readTheme(): Theme {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return {
    fg: v('--fg', '#1b1f24'),
    axisText: v('--axis-text', '#3d444d'),
    axis: v('--axis', '#7a828c'),
    grid: v('--grid', '#edf0f3'),
    marker: v('--marker', '#9aa3ad'),
    markerText: v('--marker-text', '#6b7480'),
    card: v('--card', '#fff'),
  };
}

/** The series colour: the given one, else the palette's (its black becomes the text colour in dark mode). */
function colourOf(s: Series, k: number, fg = '#000000'): string {
  const c = s.colour ?? SERIES_COLOURS[k % SERIES_COLOURS.length];
  return c === '#000000' ? fg : c;
}

/** `#rrggbb` at `alpha` (bands, the raw curve behind a smoothed one). */
function withAlpha(colour: string, alpha: number): string {
  const m = /^#([0-9a-f]{6})$/i.exec(colour);
  if (!m) return colour;
  const n = parseInt(m[1], 16);
  return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/** What is plotted: the aligned data and, per uPlot series after x, what it is. */
interface Plotted {
  data: [number[], ...(number | null)[][]];
  raw: (number | null)[][];
  roles: ({ kind: 'line'; k: number } | { kind: 'raw'; k: number } | { kind: 'band'; k: number })[];
  labels: (Map<number, string> | undefined)[];
}

function plotted(series: readonly Series[], weight: number, logY: boolean): Plotted {
  const positive = (p: { y: number }) => !logY || p.y > 0;
  const clean = series.map((s) => s.points.filter(positive));
  const bandPoints = series.flatMap((s) =>
    s.band
      ? [
          { points: s.band.map((b) => ({ x: b.x, y: b.hi })) },
          { points: s.band.map((b) => ({ x: b.x, y: b.lo })) },
        ]
      : [],
  );
  const [xs, ...ys] = alignSeries([...clean.map((points) => ({ points })), ...bandPoints]);
  const lines = ys.slice(0, series.length);
  const bands = ys.slice(series.length);
  const roles: Plotted['roles'] = [];
  const data: Plotted['data'] = [xs];
  lines.forEach((y, k) => {
    if (weight > 0) {
      data.push(y);
      roles.push({ kind: 'raw', k });
    }
  });
  lines.forEach((y, k) => {
    data.push(weight > 0 ? ema(y, weight) : y);
    roles.push({ kind: 'line', k });
  });
  let b = 0;
  series.forEach((s, k) => {
    if (!s.band) return;
    data.push(bands[b], bands[b + 1]);
    roles.push({ kind: 'band', k }, { kind: 'band', k });
    b += 2;
  });
  return {
    data,
    raw: lines,
    roles,
    labels: series.map((s) => (s.labels ? new Map(s.labels.map((l) => [l.x, l.text])) : undefined)),
  };
}

/**
 * A line chart drawn by uPlot on a canvas: the values of every series at the cursor in the legend, drag to
 * zoom (reset with the button or a double click), a log axis labelled with real values, EMA smoothing,
 * a choice of x axis, shaded bands. Its data is also a table (for screen readers and anyone who wants the
 * numbers); the controls are ordinary form controls, reachable by keyboard.
 */
export function LineChart(props: LineChartProps) {
  const { title, yLabel, testId, logY = false, tableDigits = 2 } = props;
  const views: readonly XView[] = useMemo(
    () => [
      {
        id: 'x',
        label: props.xName ?? props.xLabel,
        xLabel: props.xLabel,
        series: props.series,
        markers: props.markers,
      },
      ...(props.views ?? []),
    ],
    [props.xLabel, props.xName, props.series, props.markers, props.views],
  );
  const [viewId, setViewId] = useState(views[0].id);
  const view = views.find((v) => v.id === viewId) ?? views[0];
  const [weight, setWeight] = useState(props.smoothing ? 0.6 : 0);
  const [cursor, setCursor] = useState<number | null>(null);
  const [zoomed, setZoomed] = useState(false);
  const [theme, setTheme] = useState(0);
  const holder = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const id = useId();

  const shown = useMemo(() => plotted(view.series, weight, logY), [view.series, weight, logY]);
  const empty = view.series.every((s) => s.points.length === 0);
  // The canvas is built again when the shape of the chart changes; new points only replace its data.
  const structure = [view.id, shown.roles.map((r) => `${r.kind}${r.k}`).join(','), empty, theme].join('|');
  const [xMin, xMax, yMin, yMax] = [
    props.xDomain?.min,
    props.xDomain?.max,
    props.yDomain?.min,
    props.yDomain?.max,
  ];
  const latest = useRef({ shown, view, zoomed });
  latest.current = { shown, view, zoomed };
  const last = shown.data[0].length - 1;
  const idx = cursor ?? last;

  // Follow the system's colour scheme: the canvas is drawn again with the new CSS variables.
  useEffect(() => {
    const media = window.matchMedia('(prefers-color-scheme: dark)');
    const changed = () => setTheme((t) => t + 1);
    media.addEventListener('change', changed);
    return () => media.removeEventListener('change', changed);
  }, []);

  useEffect(() => {
    const el = holder.current;
    if (!el || empty) return;
    let cancelled = false;
    let observer: ResizeObserver | undefined;
    void import('uplot').then(({ default: UPlot }) => {
      if (cancelled) return;
      const t = readTheme();
      const { shown, view } = latest.current;
      const axis = (label: string): uPlot.Axis => ({
        label,
        stroke: t.axisText,
        grid: { stroke: t.grid, width: 1 },
        ticks: { stroke: t.axis, width: 1 },
        labelFont: '600 12px system-ui, sans-serif',
        font: '11px system-ui, sans-serif',
      });
      const yAxis: uPlot.Axis = logY
        ? {
            ...axis(yLabel),
            splits: (_u, _i, min, max) => logTicks(min, max),
            values: (_u, splits) => {
              const labels = splits.map(logTickLabel);
              el.dataset.yTicks = labels.join(' ');
              return labels;
            },
            size: 60,
          }
        : {
            ...axis(yLabel),
            values: (_u, splits) => {
              const labels = splits.map(tickLabel);
              el.dataset.yTicks = labels.join(' ');
              return labels;
            },
            size: 60,
          };
      const xAxis: uPlot.Axis = {
        ...axis(view.xLabel),
        values: (_u, splits) =>
          splits.map((v) => (props.integerX && !Number.isInteger(v) ? '' : tickLabel(v))),
        ...(props.integerX ? { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] } : {}),
      };
      const series: uPlot.Series[] = [
        { label: view.xLabel },
        ...shown.roles.map((role): uPlot.Series => {
          const s = view.series[role.k];
          const colour = colourOf(s, role.k, t.fg);
          if (role.kind === 'band')
            return {
              label: `${s.name} band`,
              stroke: 'transparent',
              width: 0,
              spanGaps: true,
              points: { show: false },
            };
          if (role.kind === 'raw')
            return {
              label: `${s.name} (raw)`,
              stroke: withAlpha(colour, 0.25),
              width: 1,
              spanGaps: true,
              points: { show: false },
            };
          return {
            label: s.name,
            stroke: colour,
            width: 2,
            // Overlaid runs have points at different x: a line joins its own points across the others'.
            spanGaps: true,
            points: { show: s.dots ?? s.points.length <= 30, size: 7, fill: colour, stroke: colour },
          };
        }),
      ];
      // Each band is a pair of series (upper, lower) filled between.
      const pairs: uPlot.Band[] = [];
      for (let i = 0; i < shown.roles.length; i++) {
        const role = shown.roles[i];
        if (role.kind === 'band') {
          pairs.push({
            series: [i + 1, i + 2],
            fill: withAlpha(colourOf(view.series[role.k], role.k, t.fg), 0.18),
          });
          i += 1;
        }
      }
      const xRange: uPlot.Scale.Range | undefined =
        xMin !== undefined && xMax !== undefined ? [xMin, xMax] : undefined;
      const yScale: uPlot.Scale = logY
        ? // Padded by a fifth of a decade, so a constant rate is not drawn on the frame.
          { distr: 3, log: 10, range: (_u, min, max) => [min / 10 ** 0.2, max * 10 ** 0.2] }
        : yMin !== undefined && yMax !== undefined
          ? { range: [yMin, yMax] }
          : {};
      const opts: uPlot.Options = {
        width: Math.max(240, el.clientWidth),
        height: HEIGHT,
        legend: { show: false },
        scales: { x: { time: false, ...(xRange ? { range: xRange } : {}) }, y: yScale },
        axes: [xAxis, yAxis],
        series,
        bands: pairs,
        cursor: { drag: { x: true, y: false, setScale: true }, points: { size: 8 } },
        hooks: {
          setCursor: [(u) => setCursor(u.cursor.idx ?? null)],
          setScale: [
            (u, key) => {
              if (key !== 'x') return;
              const min = u.scales.x.min ?? 0;
              const max = u.scales.x.max ?? 0;
              el.dataset.xMin = String(min);
              el.dataset.xMax = String(max);
              const home = el.dataset.homeMin;
              if (home === undefined) {
                el.dataset.homeMin = String(min);
                el.dataset.homeMax = String(max);
              }
              setZoomed(
                home !== undefined &&
                  (Math.abs(min - Number(el.dataset.homeMin)) > 1e-9 ||
                    Math.abs(max - Number(el.dataset.homeMax)) > 1e-9),
              );
            },
          ],
          draw: [
            (u) => {
              const markers = latest.current.view.markers ?? [];
              if (markers.length === 0) return;
              const ctx = u.ctx;
              const { top, height } = u.bbox;
              const ratio = window.devicePixelRatio || 1;
              ctx.save();
              ctx.strokeStyle = t.marker;
              ctx.fillStyle = t.markerText;
              ctx.setLineDash([4 * ratio, 3 * ratio]);
              ctx.lineWidth = ratio;
              ctx.font = `${10 * ratio}px system-ui, sans-serif`;
              for (const m of markers) {
                const x = u.valToPos(m.x, 'x', true);
                if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
                ctx.beginPath();
                ctx.moveTo(x, top);
                ctx.lineTo(x, top + height);
                ctx.stroke();
                if (m.label) ctx.fillText(m.label, x + 3 * ratio, top + 10 * ratio);
              }
              ctx.restore();
            },
          ],
        },
      };
      delete el.dataset.homeMin;
      delete el.dataset.homeMax;
      plot.current?.destroy();
      plot.current = new UPlot(opts, shown.data as uPlot.AlignedData, el);
      setZoomed(false);
      setCursor(null);
      observer = new ResizeObserver(() => {
        plot.current?.setSize({ width: Math.max(240, el.clientWidth), height: HEIGHT });
      });
      observer.observe(el);
    });
    return () => {
      cancelled = true;
      observer?.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
    // The options are rebuilt when the chart's shape or the colour scheme changes (`structure`).
    // Domains as numbers: a page that renders again passes equal domains as new objects.
  }, [structure, logY, yLabel, xMin, xMax, yMin, yMax, props.integerX]);

  // New points (a live run's steps, another smoothing weight): the same canvas, its zoom kept.
  useEffect(() => {
    const el = holder.current;
    const u = plot.current;
    if (!u || !el) return;
    const keepZoom = latest.current.zoomed;
    if (!keepZoom) {
      delete el.dataset.homeMin;
      delete el.dataset.homeMax;
    }
    u.setData(shown.data as uPlot.AlignedData, !keepZoom);
  }, [shown]);

  const resetZoom = () => {
    const u = plot.current;
    const el = holder.current;
    if (!u || !el || el.dataset.homeMin === undefined) return;
    u.setScale('x', { min: Number(el.dataset.homeMin), max: Number(el.dataset.homeMax) });
  };

  const xAt = idx >= 0 ? shown.data[0][idx] : undefined;
  return (
    <figure className="chart" data-testid={testId} data-x-axis={view.id}>
      <figcaption>{title}</figcaption>
      {empty ? (
        <p className="empty">{props.emptyText ?? 'No data yet.'}</p>
      ) : (
        <>
          <div className="chart-controls">
            {views.length > 1 && (
              <label>
                x axis{' '}
                <select
                  value={view.id}
                  onChange={(e) => setViewId(e.target.value)}
                  data-testid={testId ? `${testId}-x-axis` : undefined}
                >
                  {views.map((v) => (
                    <option key={v.id} value={v.id}>
                      {v.label}
                    </option>
                  ))}
                </select>
              </label>
            )}
            {props.smoothing && (
              <label htmlFor={`${id}-smoothing`}>
                smoothing{' '}
                <input
                  id={`${id}-smoothing`}
                  type="range"
                  min={0}
                  max={0.99}
                  step={0.01}
                  value={weight}
                  onChange={(e) => setWeight(Number(e.target.value))}
                  aria-valuetext={weight === 0 ? 'off' : `EMA weight ${weight.toFixed(2)}`}
                  data-testid={testId ? `${testId}-smoothing` : undefined}
                />{' '}
                <output htmlFor={`${id}-smoothing`}>{weight === 0 ? 'off' : weight.toFixed(2)}</output>
              </label>
            )}
            <button
              type="button"
              className="secondary small"
              onClick={resetZoom}
              disabled={!zoomed}
              data-testid={testId ? `${testId}-reset-zoom` : undefined}
            >
              Reset zoom
            </button>
            <span className="muted small-print">drag across the chart to zoom</span>
          </div>
          <div
            ref={holder}
            className="plot"
            role="img"
            aria-label={`${title}; the values are in the data table below`}
            data-testid={testId ? `${testId}-plot` : undefined}
          />
          <ul className="legend" data-testid={testId ? `${testId}-legend` : undefined} aria-live="off">
            <li className="legend-x">
              <span className="muted">{view.xLabel}:</span>{' '}
              <span data-testid={testId ? `${testId}-legend-x` : undefined}>
                {xAt === undefined ? '–' : tickLabel(Number(xAt.toPrecision(6)))}
              </span>
              {cursor === null && <span className="muted"> (last)</span>}
            </li>
            {view.series.map((s, k) => {
              const line = shown.roles.findIndex((r) => r.kind === 'line' && r.k === k) + 1;
              const at = nearestValueIndex(shown.data[line] as (number | null)[], idx);
              const value = at >= 0 ? shown.data[line][at] : null;
              const raw = at >= 0 ? shown.raw[k][at] : null;
              const label = at >= 0 ? shown.labels[k]?.get(shown.data[0][at]) : undefined;
              return (
                <li key={s.name}>
                  <span className="swatch" style={{ background: colourOf(s, k) }} />
                  {s.name}:{' '}
                  <span data-testid={testId ? `${testId}-legend-${k}` : undefined}>
                    {label ?? valueLabel(value, { log: logY, digits: tableDigits })}
                  </span>
                  {weight > 0 && raw !== null && (
                    <span className="muted">
                      {' '}
                      (raw {valueLabel(raw, { log: logY, digits: tableDigits })})
                    </span>
                  )}
                </li>
              );
            })}
          </ul>
        </>
      )}
      {!empty && <SeriesData {...props} series={view.series} xLabel={view.xLabel} />}
    </figure>
  );
}

/** The chart's points as a table (the text alternative of the drawing). */
function SeriesData({ series, xLabel, title, tableDigits = 2, testId }: LineChartProps) {
  const { table, shown, total } = seriesTable(series, xLabel);
  return (
    <ChartDataTable
      table={table}
      caption={shown < total ? `${title} (${shown} of its ${total} points, evenly spaced)` : title}
      digits={tableDigits}
      testId={testId ? `${testId}-data` : undefined}
    />
  );
}
