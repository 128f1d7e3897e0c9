'use client';

import { useActionState } from 'react';
import { signIn, type SignInState } from '../actions';

export function SignInForm({ next }: { next: string }) {
  const [state, action, pending] = useActionState<SignInState, FormData>(signIn, {});
  return (
    <form action={action}>
      <input type="hidden" name="next" value={next} />
      <label htmlFor="user">User</label>
      <input id="user" name="user" autoComplete="username" defaultValue={state.user} />
      <label htmlFor="password">
        Password <span className="hint">(or leave the user empty and paste the access token)</span>
      </label>
      <input id="password" name="password" type="password" autoComplete="current-password" required />
      {state.error && (
        <p className="field-error" role="alert" data-testid="sign-in-error">
          {state.error}
        </p>
      )}
      <p>
        <button type="submit" disabled={pending}>
          {pending ? 'Signing in…' : 'Sign in'}
        </button>
      </p>
    </form>
  );
}
