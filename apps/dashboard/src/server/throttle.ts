/** How many failed sign-ins one key (an account or a client address) may have within the window. */
export interface ThrottlePolicy {
  maxFailures: number;
  windowMs: number;
}

/** 5 failed sign-ins per account, and per client address, within 15 minutes; then locked until the oldest ages out. */
export const SIGN_IN_POLICY: ThrottlePolicy = { maxFailures: 5, windowMs: 15 * 60_000 };

/** Keys kept at most; beyond it the longest-idle ones are dropped (a flood of addresses cannot exhaust memory). */
const MAX_KEYS = 10_000;

/**
 * Failed sign-ins per key over a sliding window, in this process's memory (one dashboard process; a restart
 * forgets them). A key with `maxFailures` failures within `windowMs` is locked: every attempt on it, right
 * password or not, is refused until the oldest of those failures is `windowMs` old.
 */
export class SignInThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly policy: ThrottlePolicy = SIGN_IN_POLICY) {}

  /** Milliseconds until any of `keys` may try again; 0 when none is locked. */
  retryAfterMs(keys: readonly string[], now = Date.now()): number {
    let wait = 0;
    for (const key of keys) {
      const recent = this.recent(key, now);
      if (recent.length >= this.policy.maxFailures) {
        const unlock = recent[recent.length - this.policy.maxFailures] + this.policy.windowMs;
        wait = Math.max(wait, unlock - now);
      }
    }
    return wait;
  }

  /** Counts a failed attempt against each key. */
  recordFailure(keys: readonly string[], now = Date.now()): void {
    for (const key of keys) {
      const recent = this.recent(key, now);
      recent.push(now);
      // Only the last maxFailures matter for the lock.
      if (recent.length > this.policy.maxFailures) recent.splice(0, recent.length - this.policy.maxFailures);
      this.failures.delete(key);
      this.failures.set(key, recent);
    }
    while (this.failures.size > MAX_KEYS) {
      const oldest = this.failures.keys().next().value as string;
      this.failures.delete(oldest);
    }
  }

  /** Forgets the failures of `key` (the account, after a successful sign-in). */
  clear(key: string): void {
    this.failures.delete(key);
  }

  private recent(key: string, now: number): number[] {
    const all = this.failures.get(key) ?? [];
    const recent = all.filter((t) => t > now - this.policy.windowMs);
    if (recent.length === 0) this.failures.delete(key);
    return recent;
  }
}
