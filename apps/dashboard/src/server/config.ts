import { StoreConfig, StoreConfigError } from '@slca/artifacts';
import { readFileSync } from 'node:fs';
import { tlsFromEnv, type TlsMaterial } from '@slca/service-kit/client';
import { parseAccounts, type Account } from './accounts';

/** One problem with the dashboard's environment, named after its variable. */
export interface ConfigProblem {
  variable: string;
  message: string;
}

/** Every problem with the environment at once, so one restart fixes them all. Never echoes a secret. */
export class DashboardConfigError extends Error {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      `invalid dashboard configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}`,
    );
    this.name = 'DashboardConfigError';
  }
}

export interface DashboardConfig {
  trainerAddress: string;
  evaluatorAddress: string;
  splitterAddress: string;
  store: StoreConfig;
  /** Named accounts (`SLCA_DASHBOARD_ACCOUNTS` / `SLCA_DASHBOARD_ACCOUNTS_FILE`). */
  accounts: Account[];
  /** The single shared user and password, or token, of earlier versions: each signs in as an admin. */
  credentials: { user?: string; password?: string; token?: string };
  sessionSecret: string;
  sessionTtlMs: number;
  /**
   * Reverse proxies in front of the dashboard that append the client's address to `X-Forwarded-For`
   * (`SLCA_DASHBOARD_TRUSTED_PROXIES`, default 0: the header is not believed, the socket's address is used).
   */
  trustedProxies: number;
  /** Deadline of every unary gRPC call. */
  deadlineMs: number;
  /** The dashboard's client certificate (identity `dashboard`), CA and key: it calls over mutual TLS only. */
  tls: TlsMaterial;
}

const ADDRESS = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;
const MIN_SECRET_LENGTH = 32;

/**
 * Reads and validates the dashboard's environment. Addresses of the three services it calls, the object
 * store (for downloads and thumbnails), who may sign in, and the key that signs session cookies.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): DashboardConfig {
  const problems: ConfigProblem[] = [];
  const problem = (variable: string, message: string) => problems.push({ variable, message });

  const address = (variable: string): string => {
    const value = env[variable]?.trim() ?? '';
    if (value === '') problem(variable, 'required, host:port of the service (e.g. 127.0.0.1:50052)');
    else if (!ADDRESS.test(value) || Number(ADDRESS.exec(value)?.[2]) > 65535)
      problem(variable, `expected host:port, got ${JSON.stringify(value)}`);
    return value;
  };
  const trainerAddress = address('SLCA_TRAINER_ADDRESS');
  const evaluatorAddress = address('SLCA_EVALUATOR_ADDRESS');
  const splitterAddress = address('SLCA_SPLITTER_ADDRESS');

  let store: StoreConfig | undefined;
  try {
    store = StoreConfig.fromEnv(env);
  } catch (error) {
    if (!(error instanceof StoreConfigError)) throw error;
    problems.push(...error.problems);
  }

  const accounts: Account[] = [];
  const addAccounts = (variable: string, text: string) => {
    const parsed = parseAccounts(text);
    for (const message of parsed.problems) problem(variable, message);
    for (const account of parsed.accounts)
      if (accounts.some((a) => a.name === account.name)) problem(variable, `${account.name} is listed twice`);
      else accounts.push(account);
  };
  if (env.SLCA_DASHBOARD_ACCOUNTS) addAccounts('SLCA_DASHBOARD_ACCOUNTS', env.SLCA_DASHBOARD_ACCOUNTS);
  const accountsFile = env.SLCA_DASHBOARD_ACCOUNTS_FILE?.trim();
  if (accountsFile) {
    let text: string | undefined;
    try {
      text = readFileSync(accountsFile, 'utf8');
    } catch (error) {
      problem('SLCA_DASHBOARD_ACCOUNTS_FILE', `cannot read ${accountsFile}: ${(error as Error).message}`);
    }
    if (text !== undefined) addAccounts('SLCA_DASHBOARD_ACCOUNTS_FILE', text);
  }

  const user = env.SLCA_DASHBOARD_USER?.trim() || undefined;
  const password = env.SLCA_DASHBOARD_PASSWORD || undefined;
  const token = env.SLCA_DASHBOARD_TOKEN || undefined;
  if (user !== undefined && password === undefined)
    problem('SLCA_DASHBOARD_PASSWORD', 'required when SLCA_DASHBOARD_USER is set');
  if (password !== undefined && user === undefined)
    problem('SLCA_DASHBOARD_USER', 'required when SLCA_DASHBOARD_PASSWORD is set');
  if (user === undefined && password === undefined && token === undefined && accounts.length === 0)
    problem(
      'SLCA_DASHBOARD_ACCOUNTS',
      'required (name:role:bcrypt-hash entries), or SLCA_DASHBOARD_USER with SLCA_DASHBOARD_PASSWORD, or SLCA_DASHBOARD_TOKEN: the dashboard is never open to anyone',
    );
  if (user !== undefined && accounts.some((a) => a.name === user.toLowerCase()))
    problem('SLCA_DASHBOARD_USER', `${user} is also a named account in SLCA_DASHBOARD_ACCOUNTS`);
  if (token !== undefined && accounts.some((a) => a.name === 'token'))
    problem('SLCA_DASHBOARD_TOKEN', 'a named account is called `token`, the name a token sign-in gets');
  if (password !== undefined && password.length < 8)
    problem('SLCA_DASHBOARD_PASSWORD', 'must be at least 8 characters');
  if (token !== undefined && token.length < 16)
    problem('SLCA_DASHBOARD_TOKEN', 'must be at least 16 characters');

  const sessionSecret = env.SLCA_DASHBOARD_SESSION_SECRET ?? '';
  if (sessionSecret.length < MIN_SECRET_LENGTH)
    problem(
      'SLCA_DASHBOARD_SESSION_SECRET',
      `required, at least ${MIN_SECRET_LENGTH} characters (e.g. \`openssl rand -hex 32\`)`,
    );

  const positiveMs = (variable: string, fallback: number, min: number): number => {
    const raw = env[variable];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) {
      problem(variable, `expected an integer ≥ ${min} (milliseconds), got ${JSON.stringify(raw)}`);
      return fallback;
    }
    return value;
  };
  const deadlineMs = positiveMs('SLCA_DASHBOARD_DEADLINE_MS', 10_000, 100);
  const sessionTtlMs = positiveMs('SLCA_DASHBOARD_SESSION_TTL_MS', 12 * 3600_000, 60_000);

  let trustedProxies = 0;
  const proxies = env.SLCA_DASHBOARD_TRUSTED_PROXIES?.trim();
  if (proxies) {
    trustedProxies = Number(proxies);
    if (!/^\d+$/.test(proxies) || trustedProxies > 10) {
      problem(
        'SLCA_DASHBOARD_TRUSTED_PROXIES',
        `expected the number of reverse proxies in front of the dashboard, 0 to 10, got ${JSON.stringify(proxies)}`,
      );
      trustedProxies = 0;
    }
  }

  // SLCA_TLS_CA, SLCA_TLS_CERT, SLCA_TLS_KEY: the services answer mutual TLS only.
  let tls: TlsMaterial | undefined;
  try {
    tls = tlsFromEnv(env);
  } catch (error) {
    const listed = (error as { problems?: { variable: string; problem: string }[] }).problems;
    if (!listed) throw error;
    for (const p of listed) problem(p.variable, p.problem);
  }

  if (problems.length > 0 || store === undefined || tls === undefined)
    throw new DashboardConfigError(problems);
  return {
    trainerAddress,
    evaluatorAddress,
    splitterAddress,
    store,
    accounts,
    credentials: { user, password, token },
    sessionSecret,
    sessionTtlMs,
    trustedProxies,
    deadlineMs,
    tls,
  };
}

const CACHE = Symbol.for('slca.dashboard.config');
type WithCache = typeof globalThis & { [CACHE]?: DashboardConfig };

/** The validated configuration of this process (validated at start by `instrumentation.ts`). */
export function config(): DashboardConfig {
  const holder = globalThis as WithCache;
  return (holder[CACHE] ??= loadConfig());
}
