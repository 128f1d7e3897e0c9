import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The session cookie's name; its value is `<payload>.<signature>`, both base64url. */
export const SESSION_COOKIE = 'slca_session';

export interface Session {
  /** Who signed in (the configured user, or `token`). */
  user: string;
  /** Expiry, milliseconds since the epoch. */
  exp: number;
  /** Random id: two sign-ins never share a cookie value. */
  sid: string;
}

function sign(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

/** The signed cookie value that carries `session`. */
export function encodeSessionValue(session: Session, secret: string): string {
  const payload = Buffer.from(JSON.stringify(session)).toString('base64url');
  return `${payload}.${sign(payload, secret)}`;
}

/** A signed cookie value for `user`, valid for `ttlMs` (a new random id, not registered anywhere). */
export function createSessionValue(user: string, secret: string, ttlMs: number, now = Date.now()): string {
  return encodeSessionValue({ user, exp: now + ttlMs, sid: randomBytes(12).toString('base64url') }, secret);
}

/** The session a cookie value carries, or undefined when it is malformed, forged or expired. */
export function readSessionValue(
  value: string | undefined,
  secret: string,
  now = Date.now(),
): Session | undefined {
  if (!value) return undefined;
  const [payload, signature, ...rest] = value.split('.');
  if (!payload || !signature || rest.length > 0) return undefined;
  const expected = Buffer.from(sign(payload, secret));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  try {
    const session = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Partial<Session>;
    if (
      typeof session.user !== 'string' ||
      typeof session.exp !== 'number' ||
      typeof session.sid !== 'string'
    )
      return undefined;
    return session.exp > now ? (session as Session) : undefined;
  } catch {
    return undefined;
  }
}

/** Compares secrets in constant time (over their digests, so lengths leak nothing either). */
export function secretsEqual(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** Cookie attributes: HttpOnly, SameSite=Strict, Secure whenever the dashboard is reached over https. */
export function sessionCookieOptions(secure: boolean, maxAgeMs: number) {
  return {
    httpOnly: true,
    sameSite: 'strict' as const,
    secure,
    path: '/',
    maxAge: Math.floor(maxAgeMs / 1000),
  };
}

/** Whether the request reached us over https (directly or through a proxy that says so). */
export function isHttps(url: string, forwardedProto: string | null): boolean {
  const proto = forwardedProto?.split(',')[0]?.trim().toLowerCase();
  return proto ? proto === 'https' : url.startsWith('https:');
}

export interface Credentials {
  user?: string;
  password?: string;
  token?: string;
}

/** Who the submitted credentials sign in as, or undefined when they match nothing configured. */
export function authenticate(
  configured: Credentials,
  submitted: { user: string; password: string },
): string | undefined {
  if (configured.user !== undefined && configured.password !== undefined) {
    const userOk = secretsEqual(submitted.user, configured.user);
    const passwordOk = secretsEqual(submitted.password, configured.password);
    if (userOk && passwordOk) return configured.user;
  }
  if (
    configured.token !== undefined &&
    submitted.user === '' &&
    secretsEqual(submitted.password, configured.token)
  )
    return 'token';
  return undefined;
}
