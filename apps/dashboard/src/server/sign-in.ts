import { authenticateAccount, type Account } from './accounts';
import { authenticate, encodeSessionValue, type Credentials } from './session';
import type { SessionTable } from './sessions';
import type { SignInThrottle, ThrottleKey } from './throttle';

export type SignInOutcome =
  | { kind: 'signed-in'; user: string; cookie: string }
  | { kind: 'wrong' }
  /** Too many failures for the account or the address: refused without looking at the password. */
  | { kind: 'throttled'; retryAfterSeconds: number };

export interface SignInDeps {
  accounts: readonly Account[];
  /** The single user and password, or token, of earlier versions (admins). */
  credentials: Credentials;
  sessionSecret: string;
  sessionTtlMs: number;
  sessions: SessionTable;
  throttle: SignInThrottle;
  /** Reverse proxies in front of the dashboard that append to `X-Forwarded-For` (`SLCA_DASHBOARD_TRUSTED_PROXIES`). */
  trustedProxies: number;
}

/** The throttle's keys of an attempt: the account named (case-folded) and the client address. */
export function throttleKeys(user: string, address: string): [ThrottleKey, ThrottleKey] {
  return [`account:${user.trim().toLowerCase()}`, `address:${address}`];
}

/**
 * One sign-in attempt from `address`. A locked account or address is refused before the password is checked
 * (so a right password during the lock-out is refused too, and guessing learns nothing); a failure counts
 * against both; a success clears the account's count (not the address's) and registers a new session.
 */
export async function attemptSignIn(
  deps: SignInDeps,
  submitted: { user: string; password: string },
  address: string,
  now = Date.now(),
): Promise<SignInOutcome> {
  const keys = throttleKeys(submitted.user, address);
  const wait = deps.throttle.retryAfterMs(keys, now);
  if (wait > 0) return { kind: 'throttled', retryAfterSeconds: Math.ceil(wait / 1000) };
  const who =
    (await authenticateAccount(deps.accounts, submitted))?.name ?? authenticate(deps.credentials, submitted);
  if (!who) {
    deps.throttle.recordFailure(keys, now);
    return { kind: 'wrong' };
  }
  deps.throttle.clear(keys[0]);
  const session = deps.sessions.create(who, deps.sessionTtlMs, now);
  return { kind: 'signed-in', user: who, cookie: encodeSessionValue(session, deps.sessionSecret) };
}

/** "3 minutes" / "40 seconds": the wait a refused sign-in form shows. */
export function describeWait(seconds: number): string {
  if (seconds >= 90) {
    const minutes = Math.ceil(seconds / 60);
    return `${minutes} minutes`;
  }
  return seconds === 1 ? '1 second' : `${seconds} seconds`;
}

/**
 * The client address of a request from its `X-Forwarded-For` header, believing only the entries that the
 * `trustedProxies` reverse proxies in front of the dashboard appended (each appends the address it was
 * connected from, so the client is the `trustedProxies`-th entry from the right; whatever the client wrote
 * itself is further left and ignored). With no trusted proxy the dashboard's `proxy.ts` has removed any
 * header the client sent, and Next.js has put the socket's peer address there: the whole value is that
 * address. `unknown` when there is none.
 */
export function clientAddress(forwardedFor: string | null, trustedProxies: number): string {
  const hops = (forwardedFor ?? '')
    .split(',')
    .map((hop) => hop.trim())
    .filter((hop) => hop !== '');
  if (hops.length === 0) return 'unknown';
  const index = Math.max(0, hops.length - Math.max(1, trustedProxies));
  return hops[index].slice(0, 64);
}
