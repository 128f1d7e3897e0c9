import { randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { isRole, ROLES, type Role } from '../lib/roles';

/** A named account: its password is kept only as a bcrypt hash. */
export interface Account {
  name: string;
  role: Role;
  hash: string;
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const BCRYPT = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;

/**
 * Parses `name:role:bcrypt-hash` entries, separated by newlines, commas or spaces; `#` starts a comment.
 * Problems name the entry by its position (never echoing a hash).
 */
export function parseAccounts(text: string): { accounts: Account[]; problems: string[] } {
  const accounts: Account[] = [];
  const problems: string[] = [];
  const entries = text
    .split('\n')
    .map((line) => line.replace(/#.*$/, ''))
    .flatMap((line) => line.split(/[\s,]+/))
    .filter((entry) => entry !== '');
  entries.forEach((entry, i) => {
    const where = `entry ${i + 1}`;
    const [name, role, hash, ...rest] = entry.split(':');
    if (hash === undefined || rest.length > 0) {
      problems.push(`${where}: expected name:role:bcrypt-hash`);
      return;
    }
    if (!NAME.test(name))
      problems.push(`${where}: the name ${JSON.stringify(name)} must be 1-64 of a-z 0-9 . _ - (lower case)`);
    else if (!isRole(role)) problems.push(`${where} (${name}): role must be one of ${ROLES.join(', ')}`);
    else if (!BCRYPT.test(hash))
      problems.push(`${where} (${name}): not a bcrypt hash (make one with \`npm run hash-password\`)`);
    else if (accounts.some((a) => a.name === name)) problems.push(`${where}: ${name} is listed twice`);
    else accounts.push({ name, role, hash });
  });
  return { accounts, problems };
}

const decoys = new Map<string, string>();

/** A hash of a random password at `cost`, compared against for an unknown name so that names take as long as passwords. */
function decoy(cost: string): string {
  let hash = decoys.get(cost);
  if (!hash) decoys.set(cost, (hash = bcrypt.hashSync(randomBytes(16).toString('hex'), Number(cost))));
  return hash;
}

/** The named account the name and password sign in as, or undefined. Always runs one bcrypt comparison. */
export async function authenticateAccount(
  accounts: readonly Account[],
  submitted: { user: string; password: string },
): Promise<Account | undefined> {
  if (accounts.length === 0) return undefined;
  const name = submitted.user.trim().toLowerCase();
  const account = accounts.find((a) => a.name === name);
  const cost = BCRYPT.exec(accounts[0]?.hash ?? '')?.[1] ?? '12';
  const ok = await bcrypt.compare(submitted.password, account?.hash ?? decoy(cost));
  return ok && account ? account : undefined;
}

/** A bcrypt hash of `password` (cost 12) for an account entry. */
export function hashPassword(password: string, cost = 12): Promise<string> {
  return bcrypt.hash(password, cost);
}

/**
 * The role `user` (as a session names it) has now, or undefined when it is no longer configured. The single
 * user and the token of earlier versions are admins.
 */
export function roleOf(
  accounts: readonly Account[],
  legacy: { user?: string; password?: string; token?: string },
  user: string,
): Role | undefined {
  const account = accounts.find((a) => a.name === user);
  if (account) return account.role;
  if (legacy.user !== undefined && legacy.password !== undefined && user === legacy.user) return 'admin';
  if (legacy.token !== undefined && user === 'token') return 'admin';
  return undefined;
}
