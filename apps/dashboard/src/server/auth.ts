import { cookies, headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { config } from './config';
import { readSessionValue, SESSION_COOKIE, type Session } from './session';
import { signInState } from './sessions';
import { clientAddress, type SignInDeps } from './sign-in';

/** The signed-in session of the current request, if any: a correctly signed cookie whose id is still live. */
export async function currentSession(): Promise<Session | undefined> {
  const value = (await cookies()).get(SESSION_COOKIE)?.value;
  const session = readSessionValue(value, config().sessionSecret);
  return session && signInState().sessions.isLive(session) ? session : undefined;
}

/** What a sign-in attempt needs: the configured accounts, this process's sessions and throttle. */
export function signInDeps(): SignInDeps {
  const cfg = config();
  const { sessions, throttle } = signInState();
  return {
    credentials: cfg.credentials,
    sessionSecret: cfg.sessionSecret,
    sessionTtlMs: cfg.sessionTtlMs,
    sessions,
    throttle,
  };
}

/** The address the current request came from (see `clientAddress`). */
export async function requestAddress(): Promise<string> {
  return clientAddress((await headers()).get('x-forwarded-for'));
}

/** For pages and server actions: the session, or a redirect to the sign-in page. */
export async function requireSession(): Promise<Session> {
  const session = await currentSession();
  if (!session) redirect('/sign-in');
  return session;
}

/** For route handlers: the session, or a 401 response to return. */
export async function sessionOr401(): Promise<Session | Response> {
  const session = await currentSession();
  return session ?? Response.json({ error: 'sign in first' }, { status: 401 });
}

/** Whether the current request came in over https (the cookie is then `Secure`). */
export async function requestIsHttps(): Promise<boolean> {
  const h = await headers();
  const proto = h.get('x-forwarded-proto')?.split(',')[0]?.trim();
  return proto === 'https';
}
