import { ChartDataTable } from './data-table';
import { extent, linear, niceTicks, SERIES_COLOURS, tickLabel, type Domain } from './scale';
import { seriesTable } from './series-table';

export interface Series {
  name: string;
  points: readonly { x: number; y: number }[];
  colour?: string;
  /** Draw a dot at every point (few points, e.g. one per task). */
  dots?: boolean;
}

export interface Marker {
  x: number;
  label: string;
}

export interface LineChartProps {
  title: string;
  series: readonly Series[];
  xLabel: string;
  yLabel: string;
  xDomain?: Domain;
  yDomain?: Domain;
  /** Integer ticks only on the x axis (tasks, epochs). */
  integerX?: boolean;
  /** Vertical lines, e.g. task boundaries. */
  markers?: readonly Marker[];
  logY?: boolean;
  testId?: string;
  emptyText?: string;
  /** Decimals of the values in the chart's data table; default 2. */
  tableDigits?: number;
}

const W = 640;
const H = 280;
const M = { top: 16, right: 16, bottom: 48, left: 64 };

/** A line chart as plain SVG: axes with ticks, axis titles with units, a legend, optional markers. */
export function LineChart(props: LineChartProps) {
  const { series, xLabel, yLabel, markers = [], testId } = props;
  const all = series.flatMap((s) => s.points);
  const xDomain =
    props.xDomain ??
    extent(
      all.map((p) => p.x),
      0,
    );
  const yValues = all.map((p) => p.y);
  const yDomain = props.yDomain ?? extent(yValues);
  const x = linear(xDomain, M.left, W - M.right);
  const y = linear(yDomain, H - M.bottom, M.top);
  const xTicks = niceTicks(xDomain, 6).filter((t) => !props.integerX || Number.isInteger(t));
  const yTicks = niceTicks(yDomain, 5);
  const clampY = (v: number) => Math.min(H - M.bottom, Math.max(M.top, y(v)));
  return (
    <figure className="chart" data-testid={testId}>
      <figcaption>{props.title}</figcaption>
      {all.length === 0 ? (
        <p className="empty">{props.emptyText ?? 'No data yet.'}</p>
      ) : (
        <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={props.title}>
          <g className="grid">
            {yTicks.map((t) => (
              <line key={`gy${t}`} x1={M.left} x2={W - M.right} y1={y(t)} y2={y(t)} />
            ))}
          </g>
          {markers.map((m, k) => (
            <g key={`m${k}`} className="marker">
              <line x1={x(m.x)} x2={x(m.x)} y1={M.top} y2={H - M.bottom} />
              <text x={x(m.x) + 3} y={M.top + 10}>
                {m.label}
              </text>
            </g>
          ))}
          <g className="axis">
            <line x1={M.left} x2={W - M.right} y1={H - M.bottom} y2={H - M.bottom} />
            <line x1={M.left} x2={M.left} y1={M.top} y2={H - M.bottom} />
            {xTicks.map((t) => (
              <g key={`x${t}`}>
                <line x1={x(t)} x2={x(t)} y1={H - M.bottom} y2={H - M.bottom + 5} />
                <text x={x(t)} y={H - M.bottom + 18} textAnchor="middle">
                  {tickLabel(t)}
                </text>
              </g>
            ))}
            {yTicks.map((t) => (
              <g key={`y${t}`}>
                <line x1={M.left - 5} x2={M.left} y1={y(t)} y2={y(t)} />
                <text x={M.left - 8} y={y(t) + 4} textAnchor="end">
                  {tickLabel(t)}
                </text>
              </g>
            ))}
            <text className="title" x={(M.left + W - M.right) / 2} y={H - 8} textAnchor="middle">
              {xLabel}
            </text>
            <text
              className="title"
              transform={`translate(14 ${(M.top + H - M.bottom) / 2}) rotate(-90)`}
              textAnchor="middle"
            >
              {yLabel}
            </text>
          </g>
          {series.map((s, k) => {
            const colour = s.colour ?? SERIES_COLOURS[k % SERIES_COLOURS.length];
            const d = s.points.map(
              (p, i) => `${i === 0 ? 'M' : 'L'}${x(p.x).toFixed(1)},${clampY(p.y).toFixed(1)}`,
            );
            return (
              <g key={s.name} className="series">
                <path d={d.join('')} fill="none" stroke={colour} strokeWidth={2} />
                {(s.dots ?? s.points.length <= 30) &&
                  s.points.map((p, i) => (
                    <circle key={i} cx={x(p.x)} cy={clampY(p.y)} r={3.5} fill={colour} />
                  ))}
              </g>
            );
          })}
        </svg>
      )}
      {series.length > 1 && (
        <ul className="legend">
          {series.map((s, k) => (
            <li key={s.name}>
              <span
                className="swatch"
                style={{ background: s.colour ?? SERIES_COLOURS[k % SERIES_COLOURS.length] }}
              />
              {s.name}
            </li>
          ))}
        </ul>
      )}
      {all.length > 0 && <SeriesData {...props} />}
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
