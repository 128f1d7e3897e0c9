import { randomBytes } from 'node:crypto';
import type { Session } from './session';
import { SignInThrottle } from './throttle';

/**
 * The live sessions of this dashboard process, by id. A cookie is honoured only while its id is here: sign-out
 * removes it, so a copied cookie stops working at once, not at its expiry. Held in memory — right for the one
 * dashboard process a deployment runs; restarting the dashboard signs everyone out.
 */
export class SessionTable {
  private readonly live = new Map<string, { user: string; exp: number }>();

  /** A new session for `user`, valid for `ttlMs`, with a fresh random id. */
  create(user: string, ttlMs: number, now = Date.now()): Session {
    this.prune(now);
    const session: Session = { user, exp: now + ttlMs, sid: randomBytes(18).toString('base64url') };
    this.live.set(session.sid, { user: session.user, exp: session.exp });
    return session;
  }

  /** Whether `session` (already read from a correctly signed cookie) was issued here and is neither revoked nor expired. */
  isLive(session: Session, now = Date.now()): boolean {
    const entry = this.live.get(session.sid);
    if (!entry || entry.exp <= now) return false;
    return entry.user === session.user && entry.exp === session.exp;
  }

  /** Ends the session with this id (sign-out); unknown ids are ignored. */
  revoke(sid: string): void {
    this.live.delete(sid);
  }

  get size(): number {
    return this.live.size;
  }

  private prune(now: number): void {
    for (const [sid, entry] of this.live) if (entry.exp <= now) this.live.delete(sid);
  }
}

const STATE = Symbol.for('slca.dashboard.sign-in');
type WithState = typeof globalThis & { [STATE]?: { sessions: SessionTable; throttle: SignInThrottle } };

/** This process's session table and sign-in throttle (one of each, shared by pages, actions and routes). */
export function signInState(): { sessions: SessionTable; throttle: SignInThrottle } {
  const holder = globalThis as WithState;
  return (holder[STATE] ??= { sessions: new SessionTable(), throttle: new SignInThrottle() });
}
