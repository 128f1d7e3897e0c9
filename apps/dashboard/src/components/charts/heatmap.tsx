import { accuracyMatrixTable } from '@slca/metrics';
import { ExportLinks } from '../export-links';
import { ChartDataTable } from './data-table';

export interface HeatmapProps {
  /** Number of tasks T: the matrix is T × T, row i defined for columns 0..i. */
  tasks: number;
  /** Evaluated rows so far: rows[i][j] = R_{i,j} in percent. */
  rows: readonly (readonly number[])[];
  title?: string;
  /** Where the matrix downloads from (CSV, JSON, Markdown, LaTeX), if it does. */
  exportHref?: string;
}

/** White → blue over 0..100 %. */
function colour(value: number): string {
  const t = Math.min(1, Math.max(0, value / 100));
  const mix = (a: number, b: number) => Math.round(a + (b - a) * t);
  return `rgb(${mix(247, 8)}, ${mix(251, 69)}, ${mix(255, 148)})`;
}

const LEFT = 92;
const TOP = 40;

/**
 * The accuracy matrix as an SVG heatmap: row i = after training task i, column j = test images of task j
 * (tasks numbered from 1, as in the paper). Rows not evaluated yet are drawn as pending.
 */
export function AccuracyHeatmap({ tasks, rows, title = 'Accuracy matrix R (%)', exportHref }: HeatmapProps) {
  const n = Math.max(tasks, rows.length, 1);
  const matrix = Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => (j <= i ? (rows[i]?.[j] ?? null) : null)),
  );
  // Large cells for a few tasks, smaller ones for many; the drawing scales to the card either way.
  const CELL = n <= 4 ? 72 : n <= 10 ? 48 : 32;
  const width = LEFT + n * CELL + 16;
  const height = TOP + n * CELL + 56;
  return (
    <figure className="chart heatmap" data-testid="accuracy-heatmap" data-filled-rows={rows.length}>
      <figcaption>{title}</figcaption>
      <svg
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={title}
        style={{ maxWidth: Math.max(width, 420) }}
      >
        <text className="title" x={LEFT + (n * CELL) / 2} y={14} textAnchor="middle">
          evaluated on task j
        </text>
        {Array.from({ length: n }, (_, j) => (
          <text key={`c${j}`} x={LEFT + j * CELL + CELL / 2} y={TOP - 8} textAnchor="middle">
            {j + 1}
          </text>
        ))}
        <text
          className="title"
          transform={`translate(14 ${TOP + (n * CELL) / 2}) rotate(-90)`}
          textAnchor="middle"
        >
          after training task i
        </text>
        {Array.from({ length: n }, (_, i) => (
          <g key={`r${i}`}>
            <text x={LEFT - 8} y={TOP + i * CELL + CELL / 2 + 4} textAnchor="end">
              {i + 1}
            </text>
            {Array.from({ length: i + 1 }, (_, j) => {
              const value = rows[i]?.[j];
              const filled = value !== undefined;
              return (
                <g key={`${i}-${j}`} data-testid={`heatmap-cell-${i}-${j}`} data-value={filled ? value : ''}>
                  <rect
                    x={LEFT + j * CELL}
                    y={TOP + i * CELL}
                    width={CELL - 2}
                    height={CELL - 2}
                    fill={filled ? colour(value) : undefined}
                    className={filled ? undefined : 'heat-pending'}
                    strokeDasharray={filled ? undefined : '3 3'}
                  >
                    <title>
                      {filled ? `R(${i + 1},${j + 1}) = ${value.toFixed(2)} %` : 'not evaluated yet'}
                    </title>
                  </rect>
                  <text
                    x={LEFT + j * CELL + (CELL - 2) / 2}
                    y={TOP + i * CELL + CELL / 2 + 3}
                    textAnchor="middle"
                    className="cell"
                    fill={filled && value > 55 ? '#fff' : '#222'}
                  >
                    {filled ? value.toFixed(1) : '…'}
                  </text>
                </g>
              );
            })}
          </g>
        ))}
        <defs>
          <linearGradient id="heat-legend">
            <stop offset="0" stopColor={colour(0)} />
            <stop offset="1" stopColor={colour(100)} />
          </linearGradient>
        </defs>
        <rect
          x={LEFT}
          y={TOP + n * CELL + 14}
          width={n * CELL - 2}
          height={10}
          fill="url(#heat-legend)"
          className="heat-legend"
        />
        <text x={LEFT} y={TOP + n * CELL + 40} textAnchor="start">
          0 %
        </text>
        <text x={LEFT + n * CELL - 2} y={TOP + n * CELL + 40} textAnchor="end">
          100 % accuracy
        </text>
      </svg>
      <ChartDataTable table={accuracyMatrixTable(matrix)} caption={title} testId="accuracy-heatmap-data" />
      {exportHref && <ExportLinks href={exportHref} what="the accuracy matrix" testId="export-matrix" />}
    </figure>
  );
}
