import { cookies, headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { config } from './config';
import { readSessionValue, SESSION_COOKIE, type Session } from './session';

/** The signed-in session of the current request, if any. */
export async function currentSession(): Promise<Session | undefined> {
  const value = (await cookies()).get(SESSION_COOKIE)?.value;
  return readSessionValue(value, config().sessionSecret);
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
