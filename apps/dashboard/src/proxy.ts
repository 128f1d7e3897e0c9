import { NextResponse, type NextRequest } from 'next/server';
import { config as dashboardConfig } from './server/config';
import { readSessionValue, SESSION_COOKIE } from './server/session';

/**
 * With no trusted reverse proxy in front (`SLCA_DASHBOARD_TRUSTED_PROXIES` 0, the default) an
 * `X-Forwarded-For` the request carries was written by the client: it is removed, and Next.js then fills the
 * header with the socket's peer address, the only address the sign-in throttle believes (see
 * `clientAddress`). Behind proxies the header is kept: they append to it.
 */
function passedOn(request: NextRequest, trustedProxies: number) {
  if (trustedProxies > 0 || !request.headers.has('x-forwarded-for')) return undefined;
  const headers = new Headers(request.headers);
  headers.delete('x-forwarded-for');
  return { request: { headers } };
}

/**
 * Every page and API route needs a session, except signing in. Pages redirect to the sign-in page; API
 * routes answer 401. This first gate checks the cookie's signature and expiry only; pages, route handlers
 * and server actions check again where they act, there also against the session table (a signed-out,
 * revoked session is refused there).
 */
export function proxy(request: NextRequest) {
  const { pathname, search } = request.nextUrl;
  const cfg = dashboardConfig();
  const pass = () => NextResponse.next(passedOn(request, cfg.trustedProxies));
  // Signing in (the page, or POST/DELETE /api/session from a script) needs no session.
  if (pathname === '/sign-in' || pathname === '/api/session') return pass();
  const session = readSessionValue(request.cookies.get(SESSION_COOKIE)?.value, cfg.sessionSecret);
  if (session) return pass();
  if (pathname.startsWith('/api/')) return NextResponse.json({ error: 'sign in first' }, { status: 401 });
  const target = new URL('/sign-in', request.url);
  if (pathname !== '/') target.searchParams.set('next', `${pathname}${search}`);
  return NextResponse.redirect(target);
}

export const config = {
  matcher: ['/((?!_next/static|_next/image|favicon.ico).*)'],
};
