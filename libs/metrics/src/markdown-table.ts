import { checkDigits, formatMeanStd, type MeanStd } from './mean-std';
import { MetricsInputError } from './metrics-input-error';
import type { RunSummaryRow } from './run-summary';

export type SummaryColumn = 'lastAcc' | 'incAcc' | 'seeds';

/** A published number: a bare mean (e.g. 41.8) or mean ± std. */
export type PublishedValue = number | { readonly mean: number; readonly std?: number };

export interface PublishedResult {
  readonly lastAcc?: PublishedValue;
  readonly incAcc?: PublishedValue;
}

export interface MarkdownTableOptions {
  /** Columns after the method column, in order; default `['lastAcc', 'incAcc', 'seeds']`. */
  readonly columns?: readonly SummaryColumn[];
  /** Decimals of every number; default 2. */
  readonly digits?: number;
  /**
   * Published results by method name. When given, each Last-Acc / Inc-Acc column is followed by a
   * "(paper)" column and a "Δ" column (our mean − the published mean); "–" where a method has no number.
   */
  readonly published?: Readonly<Record<string, PublishedResult>>;
}

const HEADERS: Record<'lastAcc' | 'incAcc', string> = { lastAcc: 'Last-Acc', incAcc: 'Inc-Acc' };
const MISSING = '–';

/**
 * A paper-style Markdown table of {@link summariseRuns} rows, e.g.
 * ```
 * | method | Last-Acc | Inc-Acc | seeds |
 * | --- | ---: | ---: | ---: |
 * | SLCA | 91.53 ± 0.28 | 94.09 ± 0.87 | 3 |
 * ```
 * Numbers are right-aligned; a `|` in a method name is escaped. No trailing newline.
 */
export function markdownTable(rows: readonly RunSummaryRow[], options: MarkdownTableOptions = {}): string {
  const { columns = ['lastAcc', 'incAcc', 'seeds'], digits = 2, published } = options;
  checkDigits(digits, 'markdownTable');
  if (columns.length === 0 || new Set(columns).size !== columns.length) {
    throw new MetricsInputError(
      `markdownTable: columns must be non-empty and distinct, got [${columns.join(', ')}]`,
    );
  }
  columns.forEach((column) => {
    if (column !== 'lastAcc' && column !== 'incAcc' && column !== 'seeds') {
      throw new MetricsInputError(`markdownTable: unknown column '${String(column)}'`);
    }
  });

  const header = ['method'];
  for (const column of columns) {
    if (column === 'seeds') {
      header.push('seeds');
    } else {
      header.push(HEADERS[column]);
      if (published) header.push(`${HEADERS[column]} (paper)`, `Δ ${HEADERS[column]}`);
    }
  }

  const body = rows.map((row) => {
    const cells = [escapeCell(row.method)];
    for (const column of columns) {
      if (column === 'seeds') {
        cells.push(String(row.n));
        continue;
      }
      const ours = row[column];
      cells.push(formatMeanStd(ours, digits));
      if (published) {
        const paper = published[row.method]?.[column];
        if (paper === undefined) {
          cells.push(MISSING, MISSING);
        } else {
          const paperMean = typeof paper === 'number' ? paper : paper.mean;
          const paperStd = typeof paper === 'number' ? undefined : paper.std;
          if (!Number.isFinite(paperMean) || (paperStd !== undefined && !Number.isFinite(paperStd))) {
            throw new MetricsInputError(
              `markdownTable: published ${column} of '${row.method}' is not a finite number`,
            );
          }
          cells.push(
            paperStd === undefined
              ? paperMean.toFixed(digits)
              : formatMeanStd({ mean: paperMean, std: paperStd, n: 0 }, digits),
            formatSigned(ours, paperMean, digits),
          );
        }
      }
    }
    return cells;
  });

  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  const alignment = header.map((_, k) => (k === 0 ? '---' : '---:'));
  return [line(header), line(alignment), ...body.map(line)].join('\n');
}

function formatSigned(ours: MeanStd, paperMean: number, digits: number): string {
  const text = (ours.mean - paperMean).toFixed(digits);
  if (Number(text) === 0) return (0).toFixed(digits);
  return text.startsWith('-') ? text : `+${text}`;
}

function escapeCell(text: string): string {
  if (/[\r\n]/.test(text)) {
    throw new MetricsInputError(`markdownTable: method name ${JSON.stringify(text)} contains a line break`);
  }
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|');
}
