'use server';

import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { revalidatePath } from 'next/cache';
import { requestIsHttps, requireSession } from '../server/auth';
import { config } from '../server/config';
import { ServiceCallError, trainer } from '../server/grpc';
import { authenticate, createSessionValue, SESSION_COOKIE, sessionCookieOptions } from '../server/session';
import { parseNewRun, type NewRunState, SERVER_FIELD_TO_FORM } from '../lib/new-run';

export interface SignInState {
  error?: string;
  user?: string;
}

/** Only same-site paths are followed after sign-in (never `//host` or a full URL). */
function safeNext(value: FormDataEntryValue | null): string {
  const next = typeof value === 'string' ? value : '';
  return next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/';
}

export async function signIn(_previous: SignInState, form: FormData): Promise<SignInState> {
  const user = String(form.get('user') ?? '');
  const password = String(form.get('password') ?? '');
  const cfg = config();
  const who = authenticate(cfg.credentials, { user, password });
  if (!who) return { error: 'Wrong user or password.', user };
  (await cookies()).set(
    SESSION_COOKIE,
    createSessionValue(who, cfg.sessionSecret, cfg.sessionTtlMs),
    sessionCookieOptions(await requestIsHttps(), cfg.sessionTtlMs),
  );
  redirect(safeNext(form.get('next')));
}

export async function signOut(): Promise<void> {
  (await cookies()).delete(SESSION_COOKIE);
  redirect('/sign-in');
}

export async function startRun(_previous: NewRunState, form: FormData): Promise<NewRunState> {
  await requireSession();
  const parsed = parseNewRun(form);
  if (!parsed.request) return parsed.state;
  let id: string;
  try {
    const run = await trainer.startRun(parsed.request);
    id = run?.id ?? parsed.request.runId;
  } catch (error) {
    if (error instanceof ServiceCallError && error.code === 'INVALID_ARGUMENT') {
      const field = SERVER_FIELD_TO_FORM[error.field ?? ''] ?? 'form';
      const message =
        error.field && error.details.startsWith(`${error.field}: `)
          ? error.details.slice(error.field.length + 2)
          : error.details;
      return { ...parsed.state, errors: { [field]: `The trainer refused it: ${message}` } };
    }
    if (error instanceof ServiceCallError)
      return {
        ...parsed.state,
        errors: { form: error.code === 'ALREADY_EXISTS' ? `${error.details}` : error.message },
      };
    throw error;
  }
  revalidatePath('/');
  redirect(`/runs/${encodeURIComponent(id)}`);
}

export interface RunActionState {
  error?: string;
  done?: string;
}

async function runAction(
  id: string,
  act: (id: string) => Promise<unknown>,
  verb: string,
): Promise<RunActionState> {
  await requireSession();
  try {
    await act(id);
  } catch (error) {
    if (error instanceof ServiceCallError)
      return { error: `${verb} refused: ${error.details || error.message}` };
    throw error;
  }
  revalidatePath(`/runs/${id}`);
  return { done: verb };
}

export async function cancelRun(id: string, _previous: RunActionState): Promise<RunActionState> {
  return runAction(id, trainer.cancelRun, 'Cancel');
}

export async function resumeRun(id: string, _previous: RunActionState): Promise<RunActionState> {
  return runAction(id, trainer.resumeRun, 'Resume');
}
