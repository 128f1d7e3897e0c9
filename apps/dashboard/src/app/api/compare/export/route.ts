import { download, isExportFormat, renderTable } from '../../../../lib/export';
import { configDiff, groupBySeeds } from '../../../../lib/run-groups';
import { runIdsOf, runTableInput } from '../../../../lib/runs-export';
import { configDiffTable, paperDataTable, runsDataTable } from '../../../../lib/tables';
import { benchmarkTitle } from '../../../../lib/catalog';
import { sessionOr401 } from '../../../../server/auth';
import { loadCatalog } from '../../../../server/catalog';
import { ServiceCallError, trainer } from '../../../../server/grpc';

/**
 * Downloads a table of the compare page as `?format=csv|json|md|tex`: `table=paper` (default) the
 * paper-style table of every finished run (`&benchmark=` one benchmark's; `&runs=a,b` only those runs'
 * groups), `table=selected` the selected runs (`&runs=`), `table=config-diff` the settings in which they
 * differ. CSV and JSON give means and stds as numbers,
 * Markdown and LaTeX the cells as the page shows them.
 */
export async function GET(request: Request) {
  const session = await sessionOr401();
  if (session instanceof Response) return session;
  const query = new URL(request.url).searchParams;
  const format = query.get('format') ?? 'csv';
  const table = query.get('table') ?? 'paper';
  const benchmark = query.get('benchmark');
  if (!isExportFormat(format))
    return Response.json({ error: 'format must be one of csv, json, md, tex' }, { status: 400 });
  if (table !== 'paper' && table !== 'selected' && table !== 'config-diff')
    return Response.json({ error: 'table must be paper, selected or config-diff' }, { status: 400 });
  const ids = runIdsOf(query);
  if (table !== 'paper' && ids.length === 0)
    return Response.json({ error: 'runs must name the selected runs (runs=a,b)' }, { status: 400 });
  try {
    const [runs, { catalog }] = await Promise.all([trainer.listRuns(), loadCatalog()]);
    const byId = new Map(runs.map((r) => [r.id, r]));
    const missing = ids.filter((id) => !byId.has(id));
    if (missing.length)
      return Response.json({ error: `unknown runs: ${missing.join(', ')}` }, { status: 404 });
    const chosen = ids.length ? runs.filter((r) => ids.includes(r.id)) : runs;
    if (table === 'config-diff') {
      const data = configDiffTable(
        chosen.map((r) => r.id),
        configDiff(chosen.map((r) => r.configJson)),
      );
      return download(
        renderTable(data, format, { caption: 'Configuration differences', label: 'tab:config-diff' }),
        format,
        'config-diff',
      );
    }
    if (table === 'selected') {
      const data = runsDataTable(chosen.map((r) => runTableInput(r, catalog)));
      return download(
        renderTable(data, format, { caption: 'Selected runs', label: 'tab:selected-runs' }),
        format,
        'selected-runs',
      );
    }
    const groups = groupBySeeds(chosen, catalog).filter((g) => !benchmark || g.benchmark === benchmark);
    const data = paperDataTable(groups, format === 'csv' || format === 'json' ? 'numbers' : 'text');
    const title = benchmark ? benchmarkTitle(catalog, benchmark) : 'all benchmarks';
    return download(
      renderTable(data, format, {
        caption: `Last-Acc and Inc-Acc (%, mean ± std over seeds) beside the paper: ${title}`,
        label: `tab:paper-${(benchmark ?? 'all').replace(/[^A-Za-z0-9:_.-]/g, '-')}`,
      }),
      format,
      `paper-table${benchmark ? `_${benchmark}` : ''}`,
    );
  } catch (error) {
    if (error instanceof ServiceCallError) return Response.json({ error: error.message }, { status: 502 });
    throw error;
  }
}
