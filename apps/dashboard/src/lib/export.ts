import { stringify } from 'csv-stringify/sync';
import { tableLatex, tableMarkdown, type DataTable } from '@slca/metrics';
import { EXPORT_FORMATS, type ExportFormat } from './export-formats';

export { EXPORT_FORMATS, FORMAT_LABELS, type ExportFormat } from './export-formats';

const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  tex: 'application/x-tex; charset=utf-8',
};

export function isExportFormat(value: string | null): value is ExportFormat {
  return (EXPORT_FORMATS as readonly string[]).includes(value ?? '');
}

export interface RenderOptions {
  /** Decimals in Markdown and LaTeX (CSV and JSON keep every digit); default 2. */
  digits?: number;
  /** LaTeX: a `table` float with this caption. */
  caption?: string;
  label?: string;
}

/**
 * A table in one format. CSV (RFC 4180, through csv-stringify) and JSON keep full-precision numbers and
 * an empty cell / null where there is no value, for analysis; Markdown and LaTeX round to `digits` for
 * papers and notes.
 */
export function renderTable(table: DataTable, format: ExportFormat, options: RenderOptions = {}): string {
  const titles = table.columns.map((c) => c.title);
  switch (format) {
    case 'csv':
      return stringify([titles, ...table.rows.map((r) => r.map((cell) => (cell === null ? '' : cell)))], {
        record_delimiter: 'unix',
      });
    case 'json':
      return `${JSON.stringify({ columns: titles, rows: table.rows }, null, 2)}\n`;
    case 'md':
      return `${tableMarkdown(table, { digits: options.digits })}\n`;
    case 'tex':
      return `${tableLatex(table, { digits: options.digits, caption: options.caption, label: options.label })}\n`;
  }
}

/** A file name safe in a Content-Disposition header: letters, digits, `._-` only. */
export function fileName(base: string, format: ExportFormat): string {
  const safe = base.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '') || 'table';
  return `${safe}.${format}`;
}

/** A download: the body in the format's content type, as an attachment named `name`. */
export function download(body: string, format: ExportFormat, base: string): Response {
  return new Response(body, {
    headers: {
      'Content-Type': CONTENT_TYPES[format],
      'Content-Disposition': `attachment; filename="${fileName(base, format)}"`,
      'Cache-Control': 'private, no-store',
      'X-Content-Type-Options': 'nosniff',
    },
  });
}
