import { RunStatus, type AuditEntry } from '@slca/contracts';
import { permissionDenied, type ActingUser } from '@slca/service-kit';
import type { RunRecord } from './run-record';

/** The trainer acting by itself (recovery, its own status changes). */
export const TRAINER: ActingUser = { user: 'trainer', role: 'admin' };

/** A viewer only reads: StartRun is refused to it. */
export function checkMayStart(actor: ActingUser): void {
  if (actor.role === 'viewer') throw permissionDenied(`${actor.user} is a viewer and may not start runs`);
}

/**
 * Cancel, resume, update and delete are the run owner's (a researcher) or an admin's. A run without an
 * owner (started before owners were kept) is an admin's only. The refusal names the user and the run.
 */
export function checkMayManage(actor: ActingUser, record: RunRecord, verb: string): void {
  if (actor.role === 'admin') return;
  const owner = record.owner ?? '';
  if (actor.role === 'researcher' && owner !== '' && owner === actor.user) return;
  const whose = owner === '' ? 'a run without an owner' : `${owner}'s run`;
  throw permissionDenied(
    actor.role === 'viewer'
      ? `${actor.user} is a viewer and may not ${verb} run ${record.id}`
      : `${actor.user} may not ${verb} run ${record.id}: it is ${whose} (only its owner or an admin may)`,
  );
}

/** Entries kept in a record's audit log; beyond it the oldest go (the first, `start`, is always kept). */
export const MAX_AUDIT_ENTRIES = 1000;

/** One stored audit entry: the wire's fields plus the status it left the run in, when it changed it. */
export interface StoredAuditEntry extends AuditEntry {
  status?: RunStatus;
}

/** A status as the audit log words it: `RUN_STATUS_CANCELLED` → `cancelled`. */
export function statusWord(status: RunStatus): string {
  return status.replace(/^RUN_STATUS_/, '').toLowerCase();
}

/** Appends who did what to the record's audit log (saved with the record). */
export function audit(
  record: RunRecord,
  who: string,
  action: string,
  detail = '',
  now = Date.now(),
  status?: RunStatus,
): void {
  const entries = (record.audit ??= []);
  // A record from before audit logs were kept: its status as found comes first, so that this entry is not
  // followed by a `status` one claiming a change that happened before the log began.
  if (status === undefined && auditedStatus(record) === undefined)
    entries.push({
      atMs: now,
      who: TRAINER.user,
      action: 'status',
      detail: `${statusWord(record.status)} (when the log began)`,
      status: record.status,
    });
  entries.push({ atMs: now, who, action, detail, ...(status !== undefined ? { status } : {}) });
  if (entries.length > MAX_AUDIT_ENTRIES) entries.splice(1, entries.length - MAX_AUDIT_ENTRIES);
}

/** The status the audit log last recorded (undefined when none). */
function auditedStatus(record: RunRecord): RunStatus | undefined {
  const entries = record.audit ?? [];
  for (let i = entries.length - 1; i >= 0; i--) if (entries[i].status !== undefined) return entries[i].status;
  return undefined;
}

/** Before a record is written: a status change no entry accounts for is the trainer's own, recorded as such. */
export function auditStatusChange(record: RunRecord, now = Date.now()): void {
  if (auditedStatus(record) === record.status) return;
  const word = statusWord(record.status);
  const failed =
    record.status === RunStatus.RUN_STATUS_FAILED || record.status === RunStatus.RUN_STATUS_INTERRUPTED;
  const detail = failed && record.error ? `${word}: ${record.error}` : word;
  audit(record, TRAINER.user, 'status', detail, now, record.status);
}
