import type { Metadata } from 'next';
import { SignInForm } from './sign-in-form';

export const metadata: Metadata = { title: 'Sign in' };

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  const { next } = await searchParams;
  return (
    <div className="card signin">
      <h1>Sign in</h1>
      <p className="muted">
        The dashboard starts and stops training runs; it is open to configured users only.
      </p>
      <SignInForm next={typeof next === 'string' ? next : '/'} />
    </div>
  );
}
