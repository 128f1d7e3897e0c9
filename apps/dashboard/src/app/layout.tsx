import type { Metadata, Viewport } from 'next';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { signOut } from './actions';
import { currentSession } from '../server/auth';
import './globals.css';
import { mayStartRuns } from '../lib/roles';

export const metadata: Metadata = {
  title: { default: 'SLCA Lab', template: '%s · SLCA Lab' },
  description: 'Continual-learning runs: start, watch, compare, resume',
};

export const viewport: Viewport = { width: 'device-width', initialScale: 1 };

// Every page reads live state from the services; nothing is pre-rendered at build time.
export const dynamic = 'force-dynamic';

export default async function RootLayout({ children }: { children: ReactNode }) {
  const session = await currentSession();
  return (
    <html lang="en">
      <body>
        <header className="top">
          <Link href="/" className="brand">
            SLCA Lab
          </Link>
          {session && (
            <nav aria-label="Main">
              <Link href="/">Runs</Link>
              {mayStartRuns(session.role) && <Link href="/runs/new">New run</Link>}
              <Link href="/compare">Compare</Link>
              <Link href="/datasets">Datasets</Link>
              <Link href="/backbones">Backbones</Link>
            </nav>
          )}
          {session && (
            <form action={signOut} className="sign-out">
              <span className="who" data-testid="signed-in-as">
                {session.user} <span className="muted">({session.role})</span>
              </span>
              <button type="submit">Sign out</button>
            </form>
          )}
        </header>
        <main>{children}</main>
      </body>
    </html>
  );
}
