import { isHttps, readSessionValue, SESSION_COOKIE, sessionCookieOptions } from './session';
import { attemptSignIn, clientAddress, type SignInDeps } from './sign-in';

function cookieHeader(value: string, options: ReturnType<typeof sessionCookieOptions>): string {
  const parts = [`${SESSION_COOKIE}=${value}`, `Path=${options.path}`, `Max-Age=${options.maxAge}`];
  parts.push('HttpOnly', 'SameSite=Strict');
  if (options.secure) parts.push('Secure');
  return parts.join('; ');
}

function readCookie(request: Request, name: string): string | undefined {
  for (const part of (request.headers.get('cookie') ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

/**
 * `POST /api/session` — sign in from a script: a JSON body `{"user": …, "password": …}` (user empty with the
 * access token as the password). 204 with the session cookie; 400 naming a missing field; 401 for wrong
 * credentials; 429 with `Retry-After` (seconds) while the account or the address is locked.
 */
export async function postSession(request: Request, deps: SignInDeps, now = Date.now()): Promise<Response> {
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    return Response.json({ error: 'expected a JSON body {"user": …, "password": …}' }, { status: 400 });
  }
  const fields = (body ?? {}) as Record<string, unknown>;
  for (const field of ['user', 'password'])
    if (typeof fields[field] !== 'string')
      return Response.json({ error: `${field}: required, a string` }, { status: 400 });
  const address = clientAddress(request.headers.get('x-forwarded-for'), deps.trustedProxies);
  const outcome = await attemptSignIn(
    deps,
    { user: fields.user as string, password: fields.password as string },
    address,
    now,
  );
  if (outcome.kind === 'throttled')
    return Response.json(
      { error: `too many failed sign-ins; try again in ${outcome.retryAfterSeconds} s` },
      { status: 429, headers: { 'Retry-After': String(outcome.retryAfterSeconds) } },
    );
  if (outcome.kind === 'wrong') return Response.json({ error: 'wrong user or password' }, { status: 401 });
  const secure = isHttps(request.url, request.headers.get('x-forwarded-proto'));
  return new Response(null, {
    status: 204,
    headers: { 'Set-Cookie': cookieHeader(outcome.cookie, sessionCookieOptions(secure, deps.sessionTtlMs)) },
  });
}

/** `DELETE /api/session` — sign out: the session's id is revoked and the cookie cleared. Always 204. */
export function deleteSession(request: Request, deps: SignInDeps): Response {
  const session = readSessionValue(readCookie(request, SESSION_COOKIE), deps.sessionSecret);
  if (session) deps.sessions.revoke(session.sid);
  const secure = isHttps(request.url, request.headers.get('x-forwarded-proto'));
  return new Response(null, {
    status: 204,
    headers: { 'Set-Cookie': cookieHeader('', { ...sessionCookieOptions(secure, 0), maxAge: 0 }) },
  });
}
