import { signInDeps } from '../../../server/auth';
import { deleteSession, postSession } from '../../../server/session-route';

/** Sign in from a script (JSON), throttled like the form; see `postSession`. */
export async function POST(request: Request) {
  return postSession(request, signInDeps());
}

/** Sign out from a script: the session is revoked server-side. */
export async function DELETE(request: Request) {
  return deleteSession(request, signInDeps());
}
