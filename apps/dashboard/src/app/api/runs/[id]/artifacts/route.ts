import { sessionOr401 } from '../../../../../server/auth';
import { ServiceCallError, trainer } from '../../../../../server/grpc';
import { streamVerified } from '../../../../../server/object-store';

/**
 * Downloads one committed object of a run: `?key=runs/<id>/…`. Only objects the trainer lists for the run
 * are served, streamed from the object store and checked against the listed size and SHA-256 (a mismatch
 * aborts the body before its last bytes). The digest travels in `Repr-Digest` and `X-Content-SHA256`.
 */
export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }) {
  const session = await sessionOr401();
  if (session instanceof Response) return session;
  const { id } = await params;
  const key = new URL(request.url).searchParams.get('key') ?? '';
  if (!key.startsWith(`runs/${id}/`))
    return Response.json({ error: `key must name an object of run ${id}` }, { status: 400 });
  let objects;
  try {
    objects = await trainer.artifacts(id);
  } catch (error) {
    if (error instanceof ServiceCallError)
      return Response.json({ error: error.message }, { status: error.code === 'NOT_FOUND' ? 404 : 502 });
    throw error;
  }
  const object = objects.find((o) => o.key === key);
  if (!object) return Response.json({ error: `run ${id} has no committed object ${key}` }, { status: 404 });
  const body = await streamVerified(object.key, object.sha256, object.size);
  const name = key
    .split('/')
    .slice(2)
    .join('_')
    .replace(/[^A-Za-z0-9._-]/g, '_');
  return new Response(body, {
    headers: {
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(object.size),
      'Content-Disposition': `attachment; filename="${id}_${name}"`,
      'Repr-Digest': `sha-256=:${Buffer.from(object.sha256, 'hex').toString('base64')}:`,
      'X-Content-SHA256': object.sha256,
      'Cache-Control': 'private, no-store',
      'X-Content-Type-Options': 'nosniff',
    },
  });
}
