import Link from 'next/link';
import type { ConfigGroup } from '../lib/run-groups';

/**
 * The paper-style table: one row per configuration over its seeds (mean ± std), with the published
 * number and our difference to it beside Last-Acc and Inc-Acc (`–` where the paper has none; `≈` where
 * its figure is read off a plot).
 */
export function PaperTable({ groups, testId }: { groups: readonly ConfigGroup[]; testId: string }) {
  return (
    <div className="table-wrap">
      <table data-testid={testId}>
        <thead>
          <tr>
            <th>Method</th>
            <th>Configuration</th>
            <th className="num">Last-Acc (%)</th>
            <th className="num">paper</th>
            <th className="num">Δ</th>
            <th className="num">Inc-Acc (%)</th>
            <th className="num">paper</th>
            <th className="num">Δ</th>
            <th className="num">Seeds</th>
            <th>Runs</th>
          </tr>
        </thead>
        <tbody>
          {groups.map((g) => (
            <tr key={g.key} data-configuration={g.configurationId}>
              <td className="wrap" data-col="method" title={g.changes.join('\n') || undefined}>
                {g.label}
              </td>
              <td data-col="configuration">
                {g.configurationId ? <code>{g.configurationId}</code> : `${g.benchmark}/${g.method}`}
                {(g.dataset || g.backbone) && (
                  <span className="sub">
                    {g.dataset || '–'} · {g.backbone || '–'}
                  </span>
                )}
              </td>
              <td className="num" data-col="lastAcc">
                {g.lastAccText}
              </td>
              <td className="num muted" data-col="lastAccPaper" title={g.published?.source}>
                {g.lastAccPaper}
              </td>
              <td className="num" data-col="lastAccDelta">
                {g.lastAccDelta}
              </td>
              <td className="num" data-col="incAcc">
                {g.incAccText}
              </td>
              <td className="num muted" data-col="incAccPaper" title={g.published?.source}>
                {g.incAccPaper}
              </td>
              <td className="num" data-col="incAccDelta">
                {g.incAccDelta}
              </td>
              <td className="num" data-col="seeds" title={g.seeds.join(', ')}>
                {g.seedsText}
              </td>
              <td data-col="runs">
                {g.runs.map((r, k) => (
                  <span key={r.id}>
                    {k > 0 && ', '}
                    <Link href={`/runs/${encodeURIComponent(r.id)}`}>{r.id}</Link>
                  </span>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
