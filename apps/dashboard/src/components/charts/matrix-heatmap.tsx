import type { DataTable } from '@slca/metrics';
import { ChartDataTable } from './data-table';

export interface MatrixHeatmapProps {
  title: string;
  testId: string;
  /** What the rows and the columns are (axis titles). */
  rowTitle: string;
  colTitle: string;
  rowLabels: readonly string[];
  colLabels: readonly string[];
  /** `values[i][j]`: a number, null for "no value yet" (drawn dashed), undefined for no cell at all. */
  values: readonly (readonly (number | null | undefined)[])[];
  /** Colour strength 0..1 of a value; default value / 100 (percentages). */
  intensity?: (value: number, row: number, col: number) => number;
  /** The text of a value in its cell and tooltip; default two decimals. */
  format?: (value: number) => string;
  /** The tooltip of a cell; default "row, column: value". */
  describe?: (row: number, col: number, value: number) => string;
  /** Left and right ends of the colour legend. */
  legend: [string, string];
  /** The same data as a table for screen readers (the chart is then hidden from them). */
  table: DataTable;
  tableDigits?: number;
  /** Draw no cell for a zero (a sparse confusion matrix stays light). */
  skipZeros?: boolean;
}

/** Cells up to which the data table is part of the page; a larger one is left to the export links. */
export const MAX_INLINE_TABLE_CELLS = 2_500;

/** Characters of a row label before it is cut (the tooltip and the data table have it whole). */
const MAX_LABEL = 30;

/**
 * A matrix as an SVG heatmap in the accent colour (its opacity is the value), readable in light and dark
 * mode; cells large enough carry their value, every cell its tooltip; a data table below has the numbers.
 */
export function MatrixHeatmap(props: MatrixHeatmapProps) {
  const { rowLabels, colLabels, values } = props;
  const intensity = props.intensity ?? ((v: number) => v / 100);
  const format = props.format ?? ((v: number) => v.toFixed(2));
  const describe =
    props.describe ?? ((i: number, j: number, v: number) => `${rowLabels[i]}, ${colLabels[j]}: ${format(v)}`);
  const rows = rowLabels.length;
  const cols = colLabels.length;
  // Cells fill about 640 px of the longer side, between 6 and 64 px; drawn at their natural size.
  const cell = Math.max(6, Math.min(64, Math.floor(640 / Math.max(rows, cols, 1))));
  const withText = cell >= 20;
  const label = (text: string) => (text.length > MAX_LABEL ? `${text.slice(0, MAX_LABEL - 1)}…` : text);
  const rowText = rowLabels.map(label);
  // Long column labels (class names) are numbered; the tooltips and the data table name them.
  const colText = colLabels.some((l) => l.length > Math.max(2, cell / 7))
    ? colLabels.map((_, j) => String(j))
    : colLabels;
  const longest = Math.max(...rowText.map((l) => l.length), 1);
  const left = 28 + longest * 6.4;
  const top = 40;
  const gridWidth = cols * cell;
  const legendWidth = Math.max(gridWidth, 200);
  const width = left + legendWidth + 16;
  const height = top + rows * cell + 56;
  // With small cells, every k-th label only (the data table has them all).
  const every = cell >= 12 ? 1 : Math.ceil(12 / cell);
  return (
    <figure className="chart heatmap" data-testid={props.testId} data-rows={rows} data-cols={cols}>
      <figcaption>{props.title}</figcaption>
      <svg
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={`${props.title}: the data table below has every value`}
        style={{ maxWidth: width }}
      >
        <text className="title" x={left + gridWidth / 2} y={14} textAnchor="middle">
          {props.colTitle}
        </text>
        {colText.map((text, j) =>
          j % every === 0 ? (
            <text key={`c${j}`} x={left + j * cell + cell / 2} y={top - 8} textAnchor="middle">
              {text}
            </text>
          ) : null,
        )}
        <text
          className="title"
          transform={`translate(12 ${top + (rows * cell) / 2}) rotate(-90)`}
          textAnchor="middle"
        >
          {props.rowTitle}
        </text>
        <rect className="heat-bg" x={left} y={top} width={gridWidth} height={rows * cell} />
        {rowText.map((text, i) => (
          <g key={`r${i}`}>
            {i % every === 0 && (
              <text x={left - 6} y={top + i * cell + cell / 2 + 4} textAnchor="end">
                {text}
              </text>
            )}
            {colLabels.map((_, j) => {
              const value = values[i]?.[j];
              if (value === undefined) return null;
              if (value === 0 && props.skipZeros) return null;
              const x = left + j * cell;
              const y = top + i * cell;
              if (value === null)
                return (
                  <rect
                    key={j}
                    className="heat-pending"
                    x={x + 1}
                    y={y + 1}
                    width={cell - 2}
                    height={cell - 2}
                    data-testid={`${props.testId}-cell-${i}-${j}`}
                    data-value=""
                  >
                    <title>{`${rowLabels[i]}, ${colLabels[j]}: no value`}</title>
                  </rect>
                );
              const t = Math.min(1, Math.max(0, intensity(value, i, j)));
              return (
                <g key={j} data-testid={`${props.testId}-cell-${i}-${j}`} data-value={value}>
                  <rect
                    className="heat-cell"
                    x={x}
                    y={y}
                    width={cell - (cell >= 10 ? 1 : 0)}
                    height={cell - (cell >= 10 ? 1 : 0)}
                    fillOpacity={0.06 + 0.94 * t}
                  >
                    <title>{describe(i, j, value)}</title>
                  </rect>
                  {withText && (
                    <text
                      x={x + cell / 2}
                      y={y + cell / 2 + 4}
                      textAnchor="middle"
                      className={t > 0.55 ? 'cell on-dark' : 'cell'}
                    >
                      {format(value)}
                    </text>
                  )}
                </g>
              );
            })}
          </g>
        ))}
        <defs>
          <linearGradient id={`${props.testId}-legend`}>
            <stop offset="0" className="heat-stop" stopOpacity={0.06} />
            <stop offset="1" className="heat-stop" stopOpacity={1} />
          </linearGradient>
        </defs>
        <rect
          x={left}
          y={top + rows * cell + 14}
          width={legendWidth}
          height={10}
          fill={`url(#${props.testId}-legend)`}
          className="heat-legend"
        />
        <text x={left} y={top + rows * cell + 40} textAnchor="start">
          {props.legend[0]}
        </text>
        <text x={left + legendWidth} y={top + rows * cell + 40} textAnchor="end">
          {props.legend[1]}
        </text>
      </svg>
      {props.table.rows.length * props.table.columns.length <= MAX_INLINE_TABLE_CELLS ? (
        <ChartDataTable
          table={props.table}
          caption={props.title}
          digits={props.tableDigits}
          testId={`${props.testId}-data`}
        />
      ) : (
        <p className="muted" data-testid={`${props.testId}-data`}>
          The data table ({props.table.rows.length} × {props.table.columns.length - 1}) is too large to show
          here: download it with the export links.
        </p>
      )}
    </figure>
  );
}
