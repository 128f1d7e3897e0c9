/**
 * The dashboard's roles. A viewer reads; a researcher also starts runs and cancels, resumes, edits and
 * deletes its own; an admin does everything, to anyone's runs. The UI hides what a role may not do and the
 * server refuses it (server actions and route handlers here; the trainer checks run owners itself).
 */
export const ROLES = ['viewer', 'researcher', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** Whether `role` may start runs (and register backbones, which runs are made from). */
export function mayStartRuns(role: Role): boolean {
  return role !== 'viewer';
}

/**
 * Whether `user` with `role` may cancel, resume, edit or delete the run `owner` started. A run without a
 * recorded owner (started before owners were recorded) is an admin's only.
 */
export function mayManageRun(role: Role, user: string, owner: string | undefined): boolean {
  if (role === 'admin') return true;
  return role === 'researcher' && owner !== undefined && owner !== '' && owner === user;
}
