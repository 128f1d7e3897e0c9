import { NextResponse, type NextRequest } from 'next/server';
import { config as dashboardConfig } from './server/config';
import { readSessionValue, SESSION_COOKIE } from './server/session';

/**
 * Every page and API route needs a session, except the sign-in page itself. Pages redirect to it; API
 * routes answer 401. (Pages, route handlers and server actions check again where they act.)
 */
export function proxy(request: NextRequest) {
  const { pathname, search } = request.nextUrl;
  if (pathname === '/sign-in') return NextResponse.next();
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
