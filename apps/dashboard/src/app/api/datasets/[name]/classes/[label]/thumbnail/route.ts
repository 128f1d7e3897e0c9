import { sessionOr401 } from '../../../../../../../server/auth';
import { storedDataset } from '../../../../../../../server/object-store';

const IMAGE_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
};

/** The first training image of a class, read from the object store and checked against its SHA-256. */
export async function GET(
  request: Request,
  { params }: { params: Promise<{ name: string; label: string }> },
) {
  const session = await sessionOr401();
  if (session instanceof Response) return session;
  const { name, label } = await params;
  const classId = Number(label);
  const which = Number(new URL(request.url).searchParams.get('n') ?? '0');
  if (!Number.isInteger(classId) || !Number.isInteger(which) || which < 0)
    return Response.json({ error: 'class and n must be integers' }, { status: 400 });
  try {
    const dataset = await storedDataset(name);
    const item = dataset.manifest.train.filter((it) => it.label === classId)[which];
    if (!item)
      return Response.json({ error: `no image ${which} of class ${classId} in ${name}` }, { status: 404 });
    const type = IMAGE_TYPES[item.file.split('.').at(-1)?.toLowerCase() ?? ''] ?? 'application/octet-stream';
    const bytes = await dataset.read(item.file);
    return new Response(new Uint8Array(bytes), {
      headers: {
        'Content-Type': type,
        // Content-addressed and immutable: the browser may keep it.
        'Cache-Control': 'private, max-age=86400, immutable',
        'X-Content-Type-Options': 'nosniff',
      },
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    return Response.json({ error: (error as Error).message }, { status: code === 'not_found' ? 404 : 502 });
  }
}
