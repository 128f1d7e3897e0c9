import { EXPORT_FORMATS, FORMAT_LABELS, type ExportFormat } from '../lib/export-formats';

/** Download links of one table in every export format: `href` gets `format=<f>` added. */
export function ExportLinks({
  href,
  what,
  formats = EXPORT_FORMATS,
  testId,
}: {
  href: string;
  /** What is downloaded, for the links' accessible names ("the accuracy matrix"). */
  what: string;
  formats?: readonly ExportFormat[];
  testId?: string;
}) {
  const join = href.includes('?') ? '&' : '?';
  return (
    <p className="export-links" data-testid={testId}>
      <span className="muted">Export:</span>{' '}
      {formats.map((f, k) => (
        <span key={f}>
          {k > 0 && ' · '}
          <a
            href={`${href}${join}format=${f}`}
            download
            aria-label={`${what} as ${FORMAT_LABELS[f]}`}
            data-format={f}
          >
            {FORMAT_LABELS[f]}
          </a>
        </span>
      ))}
    </p>
  );
}
