import { describe, expect, it } from 'vitest';
import { authenticate, createSessionValue, isHttps, readSessionValue, sessionCookieOptions } from './session';

const SECRET = 'a-session-secret-of-at-least-32-characters';

describe('session cookies', () => {
  it('round-trips a signed session and rejects tampering, another key and expiry', () => {
    const value = createSessionValue('ada', SECRET, 60_000, 1_000);
    expect(readSessionValue(value, SECRET, 2_000)).toMatchObject({ user: 'ada', exp: 61_000 });
    const [payload, signature] = value.split('.');
    const forged = Buffer.from(JSON.stringify({ user: 'eve', exp: 9e15, sid: 'x' })).toString('base64url');
    expect(readSessionValue(`${forged}.${signature}`, SECRET, 2_000)).toBeUndefined();
    expect(readSessionValue(`${payload}.${signature.slice(1)}`, SECRET, 2_000)).toBeUndefined();
    expect(readSessionValue(value, `${SECRET}!`, 2_000)).toBeUndefined();
    expect(readSessionValue(value, SECRET, 61_000)).toBeUndefined();
    expect(readSessionValue(undefined, SECRET)).toBeUndefined();
    expect(readSessionValue('a.b.c', SECRET)).toBeUndefined();
  });

  it('is HttpOnly and SameSite=Strict always, Secure over https', () => {
    expect(sessionCookieOptions(false, 3_600_000)).toEqual({
      httpOnly: true,
      sameSite: 'strict',
      secure: false,
      path: '/',
      maxAge: 3600,
    });
    expect(isHttps('http://127.0.0.1/', 'https')).toBe(true);
    expect(isHttps('https://lab.example/', null)).toBe(true);
    expect(isHttps('http://127.0.0.1/', null)).toBe(false);
  });

  it('signs in the configured user with its password, or anyone holding the token', () => {
    const configured = { user: 'ada', password: 'correct-horse', token: 'a-long-access-token' };
    expect(authenticate(configured, { user: 'ada', password: 'correct-horse' })).toBe('ada');
    expect(authenticate(configured, { user: 'ada', password: 'wrong' })).toBeUndefined();
    expect(authenticate(configured, { user: 'eve', password: 'correct-horse' })).toBeUndefined();
    expect(authenticate(configured, { user: '', password: 'a-long-access-token' })).toBe('token');
    expect(authenticate({ token: 'a-long-access-token' }, { user: '', password: '' })).toBeUndefined();
  });
});
