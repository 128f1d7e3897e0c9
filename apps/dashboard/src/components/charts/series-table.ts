import type { DataTable } from '@slca/metrics';

/** Rows a chart's data table shows at most; longer curves show every k-th x (the last one always). */
export const MAX_TABLE_ROWS = 200;

/**
 * The points of a chart's series as one table: a row per x value (in order), a column per series, null
 * where a series has no point at that x. More than `maxRows` x values are thinned to every k-th.
 */
export function seriesTable(
  series: readonly { name: string; points: readonly { x: number; y: number }[] }[],
  xTitle: string,
  maxRows = MAX_TABLE_ROWS,
): { table: DataTable; shown: number; total: number } {
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
  const step = Math.max(1, Math.ceil(xs.length / maxRows));
  const kept = xs.filter((_, i) => i % step === 0 || i === xs.length - 1);
  const byX = series.map((s) => new Map(s.points.map((p) => [p.x, p.y])));
  return {
    table: {
      columns: [
        { title: xTitle, align: 'right', digits: xs.every(Number.isInteger) ? 0 : 3 },
        ...series.map((s) => ({ title: s.name, align: 'right' as const })),
      ],
      rows: kept.map((x) => [Number(x.toFixed(6)), ...byX.map((m) => m.get(x) ?? null)]),
    },
    shown: kept.length,
    total: xs.length,
  };
}
