import { tableTexts, type DataTable } from '@slca/metrics';

/**
 * The data of a chart as a table, for screen readers and for anyone who wants the numbers: a closed
 * disclosure under the chart (its summary is keyboard-reachable), the chart itself hidden from assistive
 * technology only where this table carries the same data.
 */
export function ChartDataTable({
  table,
  caption,
  digits = 2,
  testId,
}: {
  table: DataTable;
  caption: string;
  digits?: number;
  testId?: string;
}) {
  const texts = tableTexts(table, digits);
  return (
    <details className="chart-data" data-testid={testId}>
      <summary>Data table</summary>
      <div className="table-wrap">
        <table>
          <caption className="visually-hidden">{caption}</caption>
          <thead>
            <tr>
              {table.columns.map((c, j) => (
                <th key={j} scope="col" className={c.align === 'right' ? 'num' : undefined}>
                  {c.title}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {texts.map((row, i) => (
              <tr key={i}>
                {row.map((cell, j) =>
                  j === 0 ? (
                    <th key={j} scope="row">
                      {cell}
                    </th>
                  ) : (
                    <td key={j} className={table.columns[j].align === 'right' ? 'num' : undefined}>
                      {cell}
                    </td>
                  ),
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}
