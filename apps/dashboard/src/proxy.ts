import { NextResponse, type NextRequest } from 'next/server';
import { config as dashboardConfig } from './server/config';
import { readSessionValue, SESSION_COOKIE } from './server/session';

/**
 * Every page and API route needs a session, except signing in. Pages redirect to the sign-in page; API
 * routes answer 401. This first gate checks the cookie's signature and expiry only; pages, route handlers
 * and server actions check again where they act, there also against the session table (a signed-out,
 * revoked session is refused there).
 */
export function proxy(request: NextRequest) {
  const { pathname, search } = request.nextUrl;
  // Signing in (the page, or POST/DELETE /api/session from a script) needs no session.
  if (pathname === '/sign-in' || pathname === '/api/session') return NextResponse.next();
  const session = readSessionValue(
    request.cookies.get(SESSION_COOKIE)?.value,
    dashboardConfig().sessionSecret,
  );
  if (session) return NextResponse.next();
  if (pathname.startsWith('/api/')) return NextResponse.json({ error: 'sign in first' }, { status: 401 });
  const target = new URL('/sign-in', request.url);
  if (pathname !== '/') target.searchParams.set('next', `${pathname}${search}`);
  return NextResponse.redirect(target);
}

export const config = {
  matcher: ['/((?!_next/static|_next/image|favicon.ico).*)'],
};
