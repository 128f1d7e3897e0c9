/** The formats a table exports to (no CSV library here: the links' component bundles this). */
export const EXPORT_FORMATS = ['csv', 'json', 'md', 'tex'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const FORMAT_LABELS: Record<ExportFormat, string> = {
  csv: 'CSV',
  json: 'JSON',
  md: 'Markdown',
  tex: 'LaTeX',
};
