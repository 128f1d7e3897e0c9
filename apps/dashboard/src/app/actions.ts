'use server';

import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { revalidatePath } from 'next/cache';
import { requestIsHttps, requireSession } from '../server/auth';
import { config } from '../server/config';
import { ServiceCallError, trainer } from '../server/grpc';
import { authenticate, createSessionValue, SESSION_COOKIE, sessionCookieOptions } from '../server/session';
import { buildStartRunRequest, readNewRunForm, refusalField, type NewRunState } from '../lib/new-run';

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

/**
 * The New-run form's two buttons: Preview asks the trainer to resolve and check the experiment without
 * storing anything and shows what it would run; Start sends the same request for real and opens the run.
 * Every refusal is the trainer's, shown beside the input it names.
 */
export async function startRun(previous: NewRunState, form: FormData): Promise<NewRunState> {
  await requireSession();
  const values = readNewRunForm(form);
  const preview = form.get('intent') === 'preview';
  const generation = previous.generation + 1;
  const request = buildStartRunRequest(values, { validateOnly: preview });
  let id: string;
  try {
    const run = await trainer.startRun(request);
    if (preview) {
      let resolved: string = run?.configJson ?? '';
      try {
        resolved = JSON.stringify(JSON.parse(resolved), null, 2);
      } catch {
        // Shown as the trainer sent it.
      }
      return { values, errors: {}, preview: resolved, generation };
    }
    id = run?.id || request.runId;
  } catch (error) {
    if (error instanceof ServiceCallError && !error.unreachable) {
      const { field, message } = refusalField(error, values);
      return { values, errors: { [field]: `The trainer refused it: ${message}` }, generation };
    }
    if (error instanceof ServiceCallError) return { values, errors: { form: error.message }, generation };
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

export interface RunDetailsState {
  error?: string;
  /** The field the trainer's refusal names (tags, notes). */
  field?: string;
  saved?: number;
}

/** Tags (comma-separated), notes and the archived flag of the run-details form, replaced together. */
export async function saveRunDetails(
  id: string,
  previous: RunDetailsState,
  form: FormData,
): Promise<RunDetailsState> {
  await requireSession();
  const tags = String(form.get('tags') ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  const notes = String(form.get('notes') ?? '').replace(/\r\n?/g, '\n');
  const archived = form.get('archived') === 'on';
  try {
    await trainer.updateRun(id, { tags, notes, archived });
  } catch (error) {
    if (error instanceof ServiceCallError && !error.unreachable) {
      const field = (error.field ?? '').startsWith('tags') ? 'tags' : (error.field ?? 'form');
      return { error: `The trainer refused it: ${error.details}`, field };
    }
    if (error instanceof ServiceCallError) return { error: error.message, field: 'form' };
    throw error;
  }
  revalidatePath(`/runs/${id}`);
  revalidatePath('/');
  return { saved: (previous.saved ?? 0) + 1 };
}

/** Deletes an ended run with its artifacts (the trainer refuses one that may still train), then lists the runs. */
export async function deleteRun(id: string, _previous: RunActionState): Promise<RunActionState> {
  await requireSession();
  try {
    await trainer.deleteRun(id);
  } catch (error) {
    if (error instanceof ServiceCallError)
      return { error: `Delete refused: ${error.details || error.message}` };
    throw error;
  }
  revalidatePath('/');
  redirect('/');
}
