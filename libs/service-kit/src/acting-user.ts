import { Metadata } from '@grpc/grpc-js';
import { identityOf, type HasAuthContext } from './tls/credentials';

/** Metadata keys of the user a client acts for (only the dashboard's are believed). */
export const ACTING_USER_METADATA_KEY = 'x-slca-user';
export const ACTING_ROLE_METADATA_KEY = 'x-slca-role';

/** The roles of the dashboard's users; every other identity acts as itself, as an admin (see `actingUser`). */
export const USER_ROLES = ['viewer', 'researcher', 'admin'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/** Who a call acts for: a dashboard user with its role, or the calling client identity itself. */
export interface ActingUser {
  user: string;
  role: UserRole;
}

/** Metadata naming the user the dashboard acts for. */
export function actingUserMetadata(acting: ActingUser, metadata = new Metadata()): Metadata {
  metadata.set(ACTING_USER_METADATA_KEY, acting.user);
  metadata.set(ACTING_ROLE_METADATA_KEY, acting.role);
  return metadata;
}

/** A refusal that leaves a handler as PERMISSION_DENIED (its string code, see LIBRARY_ERROR_CODES). */
export class ActingUserError extends Error {
  readonly code = 'permission_denied';
  constructor(message: string) {
    super(message);
    this.name = 'ActingUserError';
  }
}

const USER = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/**
 * Who the call acts for. The acting user and role in the metadata are believed ONLY from the `dashboard`
 * identity (the CN of the mutual-TLS client certificate), which must name both. Any other identity the
 * authorisation table lets through acts as itself with admin rights over runs (`cli` is the operator's
 * command line); what it sends in those keys is ignored.
 */
export function actingUser(call: HasAuthContext, metadata: Metadata | undefined): ActingUser {
  const identity = identityOf(call);
  if (identity === undefined) throw new ActingUserError('the caller presented no client certificate');
  if (identity !== 'dashboard') return { user: identity, role: 'admin' };
  const user = metadata?.get(ACTING_USER_METADATA_KEY)[0];
  const role = metadata?.get(ACTING_ROLE_METADATA_KEY)[0];
  if (typeof user !== 'string' || !USER.test(user))
    throw new ActingUserError(`the dashboard must name the user it acts for (${ACTING_USER_METADATA_KEY})`);
  if (typeof role !== 'string' || !(USER_ROLES as readonly string[]).includes(role))
    throw new ActingUserError(
      `the dashboard must name the role of ${user} (${ACTING_ROLE_METADATA_KEY}: ${USER_ROLES.join(', ')})`,
    );
  return { user, role: role as UserRole };
}
