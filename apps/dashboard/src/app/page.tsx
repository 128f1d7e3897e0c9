import Link from 'next/link';
import { ErrorPanel } from '../components/error-panel';
import { ExportLinks } from '../components/export-links';
import { runRow, viewFromParams, type RunRow } from '../lib/run-rows';
import { loadCatalog } from '../server/catalog';
import { ServiceCallError, trainer } from '../server/grpc';
import { RunsTable } from './runs-table';
import { requireSession } from '../server/auth';
import { mayStartRuns } from '../lib/roles';

export const metadata = { title: 'Runs' };

export default async function RunsPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const session = await requireSession();
  const raw = await searchParams;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(raw)) if (typeof v === 'string') params.set(k, v);
  const view = viewFromParams(params);
  const catalog = loadCatalog();
  let rows: RunRow[] = [];
  let queryError: string | undefined;
  try {
    // Without the trainer's catalogue the runs are still listed, by method and benchmark id.
    const [runs, { catalog: labels }] = await Promise.all([trainer.listRuns(view.q), catalog]);
    rows = runs.map((r) => runRow(r, labels));
  } catch (error) {
    if (error instanceof ServiceCallError && error.code === 'INVALID_ARGUMENT') queryError = error.details;
    else
      return (
        <>
          <h1>Runs</h1>
          <ErrorPanel error={error} what="the runs" />
        </>
      );
  }
  return (
    <>
      <div className="actions" style={{ justifyContent: 'space-between' }}>
        <h1>Runs</h1>
        {mayStartRuns(session.role) && (
          <Link className="button" href="/runs/new">
            New run
          </Link>
        )}
      </div>
      <RunsTable initialRows={rows} initialView={view} initialError={queryError} />
      <ExportLinks href="/api/runs/export" what="every run" testId="export-runs" />
    </>
  );
}
