import { describe, expect, it } from 'vitest';
import { mayManageRun, mayStartRuns } from '../lib/roles';
import { authenticateAccount, hashPassword, parseAccounts, roleOf } from './accounts';
import { loadConfig } from './config';

// Test vectors of the OpenBSD bcrypt (Openwall crypt_blowfish's test suite): "U*U" and the empty password.
const U_STAR_U = '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW';
const EMPTY = '$2a$05$CCCCCCCCCCCCCCCCCCCCC.7uG0VCzI2bS7j6ymqJi9CdcdxiRTWNy';

describe('named accounts', () => {
  it('parses name:role:hash entries by line, comma or space, with comments', () => {
    const { accounts, problems } = parseAccounts(
      `# the lab\nada:admin:${U_STAR_U}\nbob:researcher:${EMPTY}, vic:viewer:${EMPTY}\n`,
    );
    expect(problems).toEqual([]);
    expect(accounts.map((a) => `${a.name}:${a.role}`)).toEqual(['ada:admin', 'bob:researcher', 'vic:viewer']);
  });

  it('names each bad entry without echoing its hash', () => {
    const { accounts, problems } = parseAccounts(
      `ada:owner:${EMPTY} Bob:viewer:${EMPTY} cy:viewer:not-a-hash dee:viewer cy:viewer:${EMPTY} cy:viewer:${EMPTY}`,
    );
    expect(accounts.map((a) => a.name)).toEqual(['cy']);
    expect(problems).toEqual([
      'entry 1 (ada): role must be one of viewer, researcher, admin',
      'entry 2: the name "Bob" must be 1-64 of a-z 0-9 . _ - (lower case)',
      'entry 3 (cy): not a bcrypt hash (make one with `npm run hash-password`)',
      'entry 4: expected name:role:bcrypt-hash',
      'entry 6: cy is listed twice',
    ]);
    expect(problems.join(' ')).not.toContain('$2a$');
  });

  it('signs in by a bcrypt hash (known vectors), names case-folded, and refuses unknown names', async () => {
    const { accounts } = parseAccounts(`ada:admin:${U_STAR_U} bob:researcher:${EMPTY}`);
    expect((await authenticateAccount(accounts, { user: 'Ada', password: 'U*U' }))?.role).toBe('admin');
    expect(await authenticateAccount(accounts, { user: 'ada', password: 'U*V' })).toBeUndefined();
    expect((await authenticateAccount(accounts, { user: 'bob', password: '' }))?.name).toBe('bob');
    expect(await authenticateAccount(accounts, { user: 'eve', password: 'U*U' })).toBeUndefined();
    const hash = await hashPassword('slow-learner', 4);
    expect(hash).toMatch(/^\$2b\$04\$/);
    const [own] = parseAccounts(`cy:viewer:${hash}`).accounts;
    expect((await authenticateAccount([own], { user: 'cy', password: 'slow-learner' }))?.name).toBe('cy');
  });

  it('keeps the single user and the token of earlier versions working, as admins', () => {
    const { accounts } = parseAccounts(`bob:researcher:${EMPTY}`);
    const legacy = { user: 'ada', password: 'correct-horse', token: 'a-long-access-token' };
    expect(roleOf(accounts, legacy, 'bob')).toBe('researcher');
    expect(roleOf(accounts, legacy, 'ada')).toBe('admin');
    expect(roleOf(accounts, legacy, 'token')).toBe('admin');
    expect(roleOf(accounts, {}, 'token')).toBeUndefined();
    expect(roleOf(accounts, legacy, 'eve')).toBeUndefined();
  });
});

describe('roles', () => {
  it('lets viewers read only, researchers manage their own runs, admins anyone’s', () => {
    expect([mayStartRuns('viewer'), mayStartRuns('researcher'), mayStartRuns('admin')]).toEqual([
      false,
      true,
      true,
    ]);
    expect(mayManageRun('viewer', 'vic', 'vic')).toBe(false);
    expect(mayManageRun('researcher', 'bob', 'bob')).toBe(true);
    expect(mayManageRun('researcher', 'bob', 'ada')).toBe(false);
    expect(mayManageRun('researcher', 'bob', '')).toBe(false);
    expect(mayManageRun('admin', 'ada', 'bob')).toBe(true);
    expect(mayManageRun('admin', 'ada', '')).toBe(true);
  });
});

describe('accounts in the configuration', () => {
  const base = {
    SLCA_TRAINER_ADDRESS: '127.0.0.1:1',
    SLCA_EVALUATOR_ADDRESS: '127.0.0.1:2',
    SLCA_SPLITTER_ADDRESS: '127.0.0.1:3',
  };
  const problemsOf = (env: Record<string, string>) => {
    try {
      loadConfig(env);
      return [];
    } catch (error) {
      return (error as { problems: { variable: string; message: string }[] }).problems;
    }
  };

  it('needs no single user when accounts are configured, and names bad entries by variable', () => {
    const ok = problemsOf({ ...base, SLCA_DASHBOARD_ACCOUNTS: `bob:researcher:${EMPTY}` });
    expect(ok.map((p) => p.variable)).not.toContain('SLCA_DASHBOARD_ACCOUNTS');
    expect(ok.map((p) => p.variable)).not.toContain('SLCA_DASHBOARD_USER');
    const bad = problemsOf({ ...base, SLCA_DASHBOARD_ACCOUNTS: 'bob:researcher' });
    expect(bad).toContainEqual({
      variable: 'SLCA_DASHBOARD_ACCOUNTS',
      message: 'entry 1: expected name:role:bcrypt-hash',
    });
    const missing = problemsOf({ ...base, SLCA_DASHBOARD_ACCOUNTS_FILE: '/nonexistent/accounts' });
    expect(missing.find((p) => p.variable === 'SLCA_DASHBOARD_ACCOUNTS_FILE')?.message).toMatch(
      /^cannot read \/nonexistent\/accounts: ENOENT/,
    );
  });
});
