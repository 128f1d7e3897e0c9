import { download, isExportFormat, renderTable } from '../../../../lib/export';
import { runIdsOf, runTableInput } from '../../../../lib/runs-export';
import { runsDataTable } from '../../../../lib/tables';
import { sessionOr401 } from '../../../../server/auth';
import { loadCatalog } from '../../../../server/catalog';
import { ServiceCallError, trainer } from '../../../../server/grpc';

/** Downloads the runs (every run, or `?runs=a,b`) as `?format=csv|json|md|tex`. */
export async function GET(request: Request) {
  const session = await sessionOr401();
  if (session instanceof Response) return session;
  const query = new URL(request.url).searchParams;
  const format = query.get('format') ?? 'csv';
  if (!isExportFormat(format))
    return Response.json({ error: 'format must be one of csv, json, md, tex' }, { status: 400 });
  const wanted = new Set(runIdsOf(query));
  try {
    const [runs, { catalog }] = await Promise.all([trainer.listRuns(), loadCatalog()]);
    const shown = wanted.size ? runs.filter((r) => wanted.has(r.id)) : runs;
    const table = runsDataTable(shown.map((r) => runTableInput(r, catalog)));
    return download(renderTable(table, format, { caption: 'Runs', label: 'tab:runs' }), format, 'runs');
  } catch (error) {
    if (error instanceof ServiceCallError) return Response.json({ error: error.message }, { status: 502 });
    throw error;
  }
}
