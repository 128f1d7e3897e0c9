import { cookies, headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { config } from './config';
import { readSessionValue, SESSION_COOKIE, type Session } from './session';
import { mayStartRuns, type Role } from '../lib/roles';
import { roleOf } from './accounts';
import { signInState } from './sessions';
import { clientAddress, type SignInDeps } from './sign-in';

/** A live session and the role its user has now. */
export interface SignedIn extends Session {
  role: Role;
}

/**
 * The signed-in session of the current request, if any: a correctly signed cookie whose id is still live,
 * of a user still configured (the role is looked up at every request).
 */
export async function currentSession(): Promise<SignedIn | undefined> {
  const cfg = config();
  const value = (await cookies()).get(SESSION_COOKIE)?.value;
  const session = readSessionValue(value, cfg.sessionSecret);
  if (!session || !signInState().sessions.isLive(session)) return undefined;
  const role = roleOf(cfg.accounts, cfg.credentials, session.user);
  return role ? { ...session, role } : undefined;
}

/** For route handlers that change something: the session of a role that may start runs, or a 401/403 response. */
export async function researcherOr403(): Promise<SignedIn | Response> {
  const session = await sessionOr401();
  if (session instanceof Response || mayStartRuns(session.role)) return session;
  return Response.json(
    { error: `${session.user} is a ${session.role}: viewers may not change anything` },
    { status: 403 },
  );
}

/** What a sign-in attempt needs: the configured accounts, this process's sessions and throttle. */
export function signInDeps(): SignInDeps {
  const cfg = config();
  const { sessions, throttle } = signInState();
  return {
    accounts: cfg.accounts,
    credentials: cfg.credentials,
    sessionSecret: cfg.sessionSecret,
    sessionTtlMs: cfg.sessionTtlMs,
    sessions,
    throttle,
    trustedProxies: cfg.trustedProxies,
  };
}

/** The address the current request came from (see `clientAddress`). */
export async function requestAddress(): Promise<string> {
  return clientAddress((await headers()).get('x-forwarded-for'), config().trustedProxies);
}

/** For pages and server actions: the session, or a redirect to the sign-in page. */
export async function requireSession(): Promise<SignedIn> {
  const session = await currentSession();
  if (!session) redirect('/sign-in');
  return session;
}

/** For route handlers: the session, or a 401 response to return. */
export async function sessionOr401(): Promise<SignedIn | Response> {
  const session = await currentSession();
  return session ?? Response.json({ error: 'sign in first' }, { status: 401 });
}

/** Whether the current request came in over https (the cookie is then `Secure`). */
export async function requestIsHttps(): Promise<boolean> {
  const h = await headers();
  const proto = h.get('x-forwarded-proto')?.split(',')[0]?.trim();
  return proto === 'https';
}
