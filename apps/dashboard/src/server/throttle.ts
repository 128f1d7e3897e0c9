/** How many failed sign-ins one key may have within the window. */
export interface ThrottlePolicy {
  maxFailures: number;
  windowMs: number;
}

/** The budgets of the two kinds of key: the account named, and the client address the attempt came from. */
export interface SignInPolicies {
  account: ThrottlePolicy;
  address: ThrottlePolicy;
}

/**
 * 5 failed sign-ins per account and 50 per client address within 15 minutes; then locked until the oldest
 * ages out. The address budget is the larger: everyone behind one address (a lab's NAT, a shared proxy,
 * the loopback of a test) shares it, so one user's typos cannot lock the others out, while a client that
 * sprays guesses across many accounts is still stopped after 50.
 */
export const SIGN_IN_POLICIES: SignInPolicies = {
  account: { maxFailures: 5, windowMs: 15 * 60_000 },
  address: { maxFailures: 50, windowMs: 15 * 60_000 },
};

/** Keys kept at most; beyond it the longest-idle ones are dropped (a flood of addresses cannot exhaust memory). */
const MAX_KEYS = 10_000;

/** A throttle key: `account:<name>` or `address:<client address>`. */
export type ThrottleKey = `account:${string}` | `address:${string}`;

/**
 * Failed sign-ins per key over a sliding window, in this process's memory (one dashboard process; a restart
 * forgets them). A key with its kind's `maxFailures` failures within `windowMs` is locked: every attempt on
 * it, right password or not, is refused until the oldest of those failures is `windowMs` old.
 */
export class SignInThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly policies: SignInPolicies = SIGN_IN_POLICIES) {}

  /** Milliseconds until any of `keys` may try again; 0 when none is locked. */
  retryAfterMs(keys: readonly ThrottleKey[], now = Date.now()): number {
    let wait = 0;
    for (const key of keys) {
      const policy = this.policyOf(key);
      const recent = this.recent(key, policy, now);
      if (recent.length >= policy.maxFailures) {
        const unlock = recent[recent.length - policy.maxFailures] + policy.windowMs;
        wait = Math.max(wait, unlock - now);
      }
    }
    return wait;
  }

  /** Counts a failed attempt against each key. */
  recordFailure(keys: readonly ThrottleKey[], now = Date.now()): void {
    for (const key of keys) {
      const policy = this.policyOf(key);
      const recent = this.recent(key, policy, now);
      recent.push(now);
      // Only the last maxFailures matter for the lock.
      if (recent.length > policy.maxFailures) recent.splice(0, recent.length - policy.maxFailures);
      this.failures.delete(key);
      this.failures.set(key, recent);
    }
    while (this.failures.size > MAX_KEYS) {
      const oldest = this.failures.keys().next().value as string;
      this.failures.delete(oldest);
    }
  }

  /** Forgets the failures of `key` (the account, after a successful sign-in). */
  clear(key: ThrottleKey): void {
    this.failures.delete(key);
  }

  private policyOf(key: ThrottleKey): ThrottlePolicy {
    return key.startsWith('account:') ? this.policies.account : this.policies.address;
  }

  private recent(key: string, policy: ThrottlePolicy, now: number): number[] {
    const all = this.failures.get(key) ?? [];
    const recent = all.filter((t) => t > now - policy.windowMs);
    if (recent.length === 0) this.failures.delete(key);
    return recent;
  }
}
