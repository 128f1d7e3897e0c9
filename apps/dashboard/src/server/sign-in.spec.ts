import { describe, expect, it } from 'vitest';
import { createSessionValue, readSessionValue } from './session';
import { deleteSession, postSession } from './session-route';
import { SessionTable } from './sessions';
import { attemptSignIn, clientAddress, describeWait, type SignInDeps } from './sign-in';
import { SignInThrottle } from './throttle';

const SECRET = 'a-session-secret-of-at-least-32-characters';
const MINUTE = 60_000;

function deps(): SignInDeps {
  return {
    accounts: [],
    credentials: { user: 'ada', password: 'correct-horse', token: 'a-long-access-token' },
    sessionSecret: SECRET,
    sessionTtlMs: 12 * 60 * MINUTE,
    sessions: new SessionTable(),
    throttle: new SignInThrottle({
      account: { maxFailures: 5, windowMs: 15 * MINUTE },
      address: { maxFailures: 50, windowMs: 15 * MINUTE },
    }),
    trustedProxies: 0,
  };
}

describe('sign-in throttling', () => {
  it('locks an account after 5 wrong passwords: of 20 tries, 15 are refused unchecked, and so is the right one', async () => {
    const d = deps();
    // One try a second from t = 0 s: tries 1-5 are checked and wrong, tries 6-20 are refused unchecked.
    const kinds = [];
    for (let i = 0; i < 20; i++)
      kinds.push(await attemptSignIn(d, { user: 'ada', password: `guess-${i}` }, '10.0.0.7', i * 1000));
    expect(kinds.slice(0, 5).map((o) => o.kind)).toEqual(Array(5).fill('wrong'));
    expect(kinds.slice(5).every((o) => o.kind === 'throttled')).toBe(true);
    // The 6th try (t = 5 s) waits until the first failure (t = 0) is 15 min old: 900 s − 5 s.
    expect(kinds[5]).toEqual({ kind: 'throttled', retryAfterSeconds: 895 });
    // The 20th (t = 19 s): 900 − 19 = 881 s.
    expect(kinds[19]).toEqual({ kind: 'throttled', retryAfterSeconds: 881 });
    // The right password during the lock-out is refused too, from any address (the account is locked).
    expect(
      (await attemptSignIn(d, { user: 'ada', password: 'correct-horse' }, '10.0.0.7', 20_000)).kind,
    ).toBe('throttled');
    expect(await attemptSignIn(d, { user: 'ADA ', password: 'correct-horse' }, '10.9.9.9', 20_000)).toEqual({
      kind: 'throttled',
      retryAfterSeconds: 880,
    });
    // At t = 15 min the failure at t = 0 has aged out (4 remain): the right password signs in.
    expect(
      (await attemptSignIn(d, { user: 'ada', password: 'correct-horse' }, '10.9.9.9', 15 * MINUTE)).kind,
    ).toBe('signed-in');
    expect(d.sessions.size).toBe(1);
  });

  it('locks a client address that guesses across accounts after 50 failures, not the other addresses', async () => {
    const d = deps();
    // 49 wrong passwords across 49 accounts from one address: each account has one failure, the address 49.
    for (let i = 0; i < 49; i++)
      expect((await attemptSignIn(d, { user: `user-${i}`, password: 'x' }, '10.0.0.8', i)).kind).toBe(
        'wrong',
      );
    // The address is not locked yet: a right password from it signs in.
    expect((await attemptSignIn(d, { user: 'ada', password: 'correct-horse' }, '10.0.0.8', 49)).kind).toBe(
      'signed-in',
    );
    // The 50th failure locks it (a success clears the account, never the address) ...
    expect((await attemptSignIn(d, { user: 'user-49', password: 'x' }, '10.0.0.8', 50)).kind).toBe('wrong');
    // ... until the first of the 50 (t = 0 ms) is 15 minutes old, right password or not.
    expect(await attemptSignIn(d, { user: 'ada', password: 'correct-horse' }, '10.0.0.8', 60)).toEqual({
      kind: 'throttled',
      retryAfterSeconds: 900,
    });
    expect((await attemptSignIn(d, { user: 'ada', password: 'correct-horse' }, '10.0.0.9', 60)).kind).toBe(
      'signed-in',
    );
  });

  it('does not lock an address out for one user’s typos: 5 wrong passwords lock the account, not the address', async () => {
    const d = deps();
    for (let i = 0; i < 5; i++)
      await attemptSignIn(d, { user: 'bob', password: `typo-${i}` }, '10.0.0.10', i);
    expect((await attemptSignIn(d, { user: 'bob', password: 'x' }, '10.0.0.10', 10)).kind).toBe('throttled');
    // Someone else behind the same address still signs in.
    expect((await attemptSignIn(d, { user: 'ada', password: 'correct-horse' }, '10.0.0.10', 10)).kind).toBe(
      'signed-in',
    );
  });

  it('clears the account (not the address) after a success, and counts token guesses like any other', async () => {
    const d = deps();
    for (let i = 0; i < 4; i++) await attemptSignIn(d, { user: 'ada', password: 'x' }, `10.1.0.${i}`, i);
    expect((await attemptSignIn(d, { user: 'ada', password: 'correct-horse' }, '10.1.0.9', 10)).kind).toBe(
      'signed-in',
    );
    // Four new failures from four new addresses do not lock it: the count started again.
    for (let i = 0; i < 4; i++) await attemptSignIn(d, { user: 'ada', password: 'x' }, `10.2.0.${i}`, 20 + i);
    expect((await attemptSignIn(d, { user: 'ada', password: 'correct-horse' }, '10.3.0.1', 30)).kind).toBe(
      'signed-in',
    );
    for (let i = 0; i < 5; i++)
      await attemptSignIn(d, { user: '', password: `token-${i}` }, `10.4.0.${i}`, 40 + i);
    expect((await attemptSignIn(d, { user: '', password: 'a-long-access-token' }, '10.5.0.1', 50)).kind).toBe(
      'throttled',
    );
  });

  it('says how long to wait', () => {
    expect(describeWait(895)).toBe('15 minutes');
    expect(describeWait(89)).toBe('89 seconds');
    expect(describeWait(1)).toBe('1 second');
  });

  it('believes only the X-Forwarded-For entries the trusted proxies appended', () => {
    // No proxy: proxy.ts removed the client's header and Next.js wrote the socket's address.
    expect(clientAddress('127.0.0.1', 0)).toBe('127.0.0.1');
    expect(clientAddress(null, 0)).toBe('unknown');
    expect(clientAddress(' , ', 0)).toBe('unknown');
    // One proxy: it appended the address it was connected from; what the client wrote before it is ignored.
    expect(clientAddress('6.6.6.6, 203.0.113.5', 1)).toBe('203.0.113.5');
    expect(clientAddress('203.0.113.5', 1)).toBe('203.0.113.5');
    // Two: the outer proxy appended the client, the inner one the outer proxy.
    expect(clientAddress('6.6.6.6, 203.0.113.5, 10.0.0.2', 2)).toBe('203.0.113.5');
    // Fewer entries than proxies: the leftmost there is.
    expect(clientAddress('203.0.113.5', 3)).toBe('203.0.113.5');
  });

  it('throttles a client behind a proxy by the address the proxy saw, whatever it wrote itself', async () => {
    const d = { ...deps(), trustedProxies: 1 };
    const post = (user: string, forged: string) =>
      postSession(
        new Request('http://127.0.0.1:3000/api/session', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': `${forged}, 198.51.100.7` },
          body: JSON.stringify({ user, password: 'x' }),
        }),
        d,
        0,
      );
    const statuses: number[] = [];
    for (let i = 0; i < 51; i++) statuses.push((await post(`user-${i}`, `10.9.${i}.1`)).status);
    expect(statuses).toEqual([...Array(50).fill(401), 429]);
  });
});

describe('revocable sessions', () => {
  it('honours an issued session until it is revoked or expires, and never a signed one it did not issue', async () => {
    const d = deps();
    const outcome = await attemptSignIn(d, { user: 'ada', password: 'correct-horse' }, '10.0.0.1', 1_000);
    if (outcome.kind !== 'signed-in') throw new Error(`expected a sign-in, got ${outcome.kind}`);
    const session = readSessionValue(outcome.cookie, SECRET, 2_000);
    if (!session) throw new Error('the issued cookie does not read back');
    expect(d.sessions.isLive(session, 2_000)).toBe(true);
    expect(d.sessions.isLive(session, 1_000 + 12 * 60 * MINUTE)).toBe(false);
    // A cookie signed with the right key but never issued here (e.g. before a restart) is not live.
    const stranger = readSessionValue(createSessionValue('ada', SECRET, MINUTE, 1_000), SECRET, 2_000);
    expect(stranger && d.sessions.isLive(stranger, 2_000)).toBe(false);
    // A copy of the cookie, after sign-out: still correctly signed and unexpired, but no longer live.
    d.sessions.revoke(session.sid);
    expect(readSessionValue(outcome.cookie, SECRET, 2_000)).toEqual(session);
    expect(d.sessions.isLive(session, 2_000)).toBe(false);
  });
});

describe('POST and DELETE /api/session', () => {
  const post = (body: unknown, address = '10.0.0.7') =>
    new Request('http://127.0.0.1:3000/api/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('answers 401 to wrong passwords, then 429 with Retry-After, even for the right one', async () => {
    const d = deps();
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 20; i++) {
      last = await postSession(post({ user: 'ada', password: `guess-${i}` }), d, i * 1000);
      statuses.push(last.status);
    }
    expect(statuses).toEqual([...Array(5).fill(401), ...Array(15).fill(429)]);
    expect(last?.headers.get('retry-after')).toBe('881');
    const right = await postSession(post({ user: 'ada', password: 'correct-horse' }), d, 20_000);
    expect(right.status).toBe(429);
    expect(right.headers.get('retry-after')).toBe('880');
    expect(right.headers.get('set-cookie')).toBeNull();
  });

  it('signs in with a cookie, signs out by revoking it, and names a missing field', async () => {
    const d = deps();
    expect((await postSession(post({ user: 'ada' }), d)).status).toBe(400);
    expect(await (await postSession(post({ user: 'ada' }), d)).json()).toEqual({
      error: 'password: required, a string',
    });
    expect((await postSession(post('not json'), d)).status).toBe(400);
    const response = await postSession(post({ user: 'ada', password: 'correct-horse' }), d);
    expect(response.status).toBe(204);
    const setCookie = response.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(
      /^slca_session=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict$/,
    );
    const value = setCookie.split(';')[0].slice('slca_session='.length);
    const session = readSessionValue(value, SECRET);
    expect(session && d.sessions.isLive(session)).toBe(true);
    const out = deleteSession(
      new Request('http://127.0.0.1:3000/api/session', {
        method: 'DELETE',
        headers: { cookie: `other=1; slca_session=${value}` },
      }),
      d,
    );
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
    expect(session && d.sessions.isLive(session)).toBe(false);
  });

  it('marks the cookie Secure when the request came over https', async () => {
    const request = new Request('https://lab.example/api/session', {
      method: 'POST',
      body: JSON.stringify({ user: 'ada', password: 'correct-horse' }),
    });
    expect((await postSession(request, deps())).headers.get('set-cookie')).toMatch(/; Secure$/);
  });
});
