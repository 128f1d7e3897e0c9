import { isArtifactError } from '@slca/artifacts';
import { researcherOr403 } from '../../../server/auth';
import { ServiceCallError, splitter } from '../../../server/grpc';
import { putBackboneUpload, UploadTooLargeError } from '../../../server/object-store';

/** The splitter's own limit on a weights file (apps/splitter: MAX_WEIGHTS_BYTES). */
const MAX_UPLOAD_BYTES = 4 * 1024 ** 3;

/** Status of a splitter refusal as HTTP. */
const HTTP_OF: Record<string, number> = {
  INVALID_ARGUMENT: 400,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  FAILED_PRECONDITION: 409,
};

/** A file name as the upload layout takes it: lower-case letters, digits, '.', '_', '-'. */
function uploadFileName(name: string): string {
  const base = name.split(/[\\/]/).at(-1) ?? '';
  const clean = base
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/\.\.+/g, '.')
    .slice(-63);
  return /^[a-z0-9]/.test(clean) ? clean : `weights${clean}`.slice(-63);
}

/**
 * Registers a backbone from the browser: `PUT /api/backbones?name=&arch=&file=` with the weights file as the
 * body (safetensors or a torch.save checkpoint). The file is streamed into the object store and the splitter
 * registers it from there (it checks the size and SHA-256, validates every tensor, and removes the upload).
 */
export async function PUT(request: Request) {
  const session = await researcherOr403();
  if (session instanceof Response) return session;
  const params = new URL(request.url).searchParams;
  const name = params.get('name') ?? '';
  const arch = params.get('arch') ?? '';
  const file = params.get('file') ?? '';
  for (const [field, value] of [
    ['name', name],
    ['arch', arch],
    ['file', file],
  ] as const)
    if (value.trim() === '') return Response.json({ error: `${field} is required`, field }, { status: 400 });
  if (!request.body)
    return Response.json({ error: 'the weights file is missing', field: 'file' }, { status: 400 });
  const length = Number(request.headers.get('content-length') ?? NaN);
  if (!Number.isSafeInteger(length) || length <= 0)
    return Response.json({ error: 'the upload needs a Content-Length', field: 'file' }, { status: 411 });
  let upload;
  try {
    upload = await putBackboneUpload(request.body, length, uploadFileName(file), MAX_UPLOAD_BYTES);
  } catch (error) {
    if (error instanceof UploadTooLargeError)
      return Response.json({ error: error.message, field: 'file' }, { status: 413 });
    if (isArtifactError(error) && error.code === 'invalid_argument')
      return Response.json({ error: `file: ${error.message}`, field: 'file' }, { status: 400 });
    // The store refused or did not answer: nothing was registered, and the upload was removed where it could be.
    return Response.json(
      {
        error: `the object store did not take the upload (${(error as Error).name}); try again`,
        field: null,
      },
      { status: 503, headers: { 'Retry-After': '5' } },
    );
  }
  try {
    const backbone = await splitter.registerUpload(name, arch, upload);
    return Response.json({ backbone }, { status: 201 });
  } catch (error) {
    if (error instanceof ServiceCallError)
      return Response.json(
        { error: error.details, field: error.field ?? null },
        { status: HTTP_OF[error.code] ?? 502 },
      );
    throw error;
  }
}
