'use server';

import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { revalidatePath } from 'next/cache';
import { requestAddress, requestIsHttps, requireSession, signInDeps, type SignedIn } from '../server/auth';
import { mayStartRuns } from '../lib/roles';
import { config } from '../server/config';
import { ServiceCallError, trainer, type Actor } from '../server/grpc';
import { readSessionValue, SESSION_COOKIE, sessionCookieOptions } from '../server/session';
import { signInState } from '../server/sessions';
import { attemptSignIn, describeWait } from '../server/sign-in';
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
  const outcome = await attemptSignIn(signInDeps(), { user, password }, await requestAddress());
  if (outcome.kind === 'throttled')
    return {
      error: `Too many failed sign-ins. Try again in ${describeWait(outcome.retryAfterSeconds)}.`,
      user,
    };
  if (outcome.kind === 'wrong') return { error: 'Wrong user or password.', user };
  const cfg = config();
  (await cookies()).set(
    SESSION_COOKIE,
    outcome.cookie,
    sessionCookieOptions(await requestIsHttps(), cfg.sessionTtlMs),
  );
  redirect(safeNext(form.get('next')));
}

/** Ends the session here (its id is revoked: the cookie, even copied, no longer works) and clears the cookie. */
export async function signOut(): Promise<void> {
  const jar = await cookies();
  const session = readSessionValue(jar.get(SESSION_COOKIE)?.value, config().sessionSecret);
  if (session) signInState().sessions.revoke(session.sid);
  jar.delete(SESSION_COOKIE);
  redirect('/sign-in');
}

/**
 * The New-run form's two buttons: Preview asks the trainer to resolve and check the experiment without
 * storing anything and shows what it would run; Start sends the same request for real and opens the run.
 * Every refusal is the trainer's, shown beside the input it names.
 */
export async function startRun(previous: NewRunState, form: FormData): Promise<NewRunState> {
  const session = await requireSession();
  const values = readNewRunForm(form);
  const preview = form.get('intent') === 'preview';
  const generation = previous.generation + 1;
  if (!mayStartRuns(session.role))
    return {
      values,
      errors: { form: `${session.user} is a viewer: viewers may not start runs.` },
      generation,
    };
  const request = buildStartRunRequest(values, { validateOnly: preview });
  let id: string;
  try {
    const run = await trainer.startRun(request, actorOf(session));
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

/** Who the trainer is told the call acts for. */
const actorOf = (session: SignedIn): Actor => ({ user: session.user, role: session.role });

/** A viewer's refusal, before the trainer is asked (which checks owners and roles again). */
const viewerRefusal = (session: SignedIn, verb: string) =>
  `${verb} refused: ${session.user} is a viewer, and viewers change nothing.`;

async function runAction(
  id: string,
  act: (id: string, actor: Actor) => Promise<unknown>,
  verb: string,
): Promise<RunActionState> {
  const session = await requireSession();
  if (!mayStartRuns(session.role)) return { error: viewerRefusal(session, verb) };
  try {
    await act(id, actorOf(session));
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
  const session = await requireSession();
  if (!mayStartRuns(session.role)) return { error: viewerRefusal(session, 'Saving'), field: 'form' };
  const tags = String(form.get('tags') ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  const notes = String(form.get('notes') ?? '').replace(/\r\n?/g, '\n');
  const archived = form.get('archived') === 'on';
  try {
    await trainer.updateRun(id, { tags, notes, archived }, actorOf(session));
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
  const session = await requireSession();
  if (!mayStartRuns(session.role)) return { error: viewerRefusal(session, 'Delete') };
  try {
    await trainer.deleteRun(id, actorOf(session));
  } catch (error) {
    if (error instanceof ServiceCallError)
      return { error: `Delete refused: ${error.details || error.message}` };
    throw error;
  }
  revalidatePath('/');
  redirect('/');
}
