import { runRow } from '../../../lib/run-rows';
import { sessionOr401 } from '../../../server/auth';
import { loadCatalog } from '../../../server/catalog';
import { ServiceCallError, trainer } from '../../../server/grpc';

/**
 * The runs matching `?q=` (the trainer's runs query, evaluated by the trainer) as the Runs page's rows; the
 * page polls it to stay live. A query the trainer refuses answers 400 with its message and `field: "q"`.
 */
export async function GET(request: Request) {
  const session = await sessionOr401();
  if (session instanceof Response) return session;
  const q = new URL(request.url).searchParams.get('q') ?? '';
  try {
    const [runs, { catalog }] = await Promise.all([trainer.listRuns(q), loadCatalog()]);
    return Response.json(
      { rows: runs.map((r) => runRow(r, catalog)) },
      { headers: { 'cache-control': 'no-store' } },
    );
  } catch (error) {
    if (error instanceof ServiceCallError) {
      if (error.code === 'INVALID_ARGUMENT')
        return Response.json({ error: error.details, field: 'q' }, { status: 400 });
      return Response.json({ error: error.message }, { status: 502 });
    }
    throw error;
  }
}
