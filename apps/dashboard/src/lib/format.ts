/** Display helpers shared by server and client components. */

export const STATUS_LABEL: Record<string, string> = {
  RUN_STATUS_UNSPECIFIED: 'unknown',
  RUN_STATUS_QUEUED: 'queued',
  RUN_STATUS_RUNNING: 'running',
  RUN_STATUS_SUCCEEDED: 'succeeded',
  RUN_STATUS_FAILED: 'failed',
  RUN_STATUS_CANCELLED: 'cancelled',
  RUN_STATUS_INTERRUPTED: 'interrupted',
};

export const TERMINAL_STATUSES = new Set([
  'RUN_STATUS_SUCCEEDED',
  'RUN_STATUS_FAILED',
  'RUN_STATUS_CANCELLED',
]);
export const RESUMABLE_STATUSES = new Set([
  'RUN_STATUS_FAILED',
  'RUN_STATUS_CANCELLED',
  'RUN_STATUS_INTERRUPTED',
]);
export const CANCELLABLE_STATUSES = new Set([
  'RUN_STATUS_QUEUED',
  'RUN_STATUS_RUNNING',
  'RUN_STATUS_INTERRUPTED',
]);

export function statusLabel(status: string): string {
  return STATUS_LABEL[status] ?? status.replace(/^RUN_STATUS_/, '').toLowerCase();
}

/** A digest shortened for a table (`3f9a…`); the full value belongs in a title. */
export function shortDigest(digest: string | undefined, length = 12): string {
  if (!digest) return '—';
  return digest.length > length ? `${digest.slice(0, length)}…` : digest;
}

/** An accuracy in percent with two decimals, or a dash when the run has none yet. */
export function percent(value: number | undefined, has = true): string {
  return has && value !== undefined && Number.isFinite(value) ? `${value.toFixed(2)} %` : '–';
}

/** `2026-07-07 17:04:53` in UTC (the same on server and client, so hydration agrees). */
export function timestamp(ms: number): string {
  if (!ms) return '–';
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

/** `1 h 02 min`, `3 min 05 s`, `12 s`. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** How long a run has taken so far (to `now` while it is going). */
export function runDuration(
  run: { startedAtMs: number; finishedAtMs: number },
  now: number,
): number | undefined {
  if (!run.startedAtMs) return undefined;
  return (run.finishedAtMs || now) - run.startedAtMs;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 ** 2).toFixed(1)} MiB`;
}

/**
 * What a paused run waits for, worded for its page ("waiting for the evaluator at …"), or undefined when it
 * waits for nothing. Only a run still going can wait; an ended run's last wait is over.
 */
export function waitingLine(run: { status: string; waitingFor?: string }): string | undefined {
  const what = run.waitingFor?.trim();
  if (!what || TERMINAL_STATUSES.has(run.status)) return undefined;
  return `waiting for ${what}`;
}
