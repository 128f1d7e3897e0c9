import { inspect } from 'node:util';

/** What a secret's value is replaced with wherever the configuration is described. */
export const REDACTED = '[redacted]';

type Parse<T> = (raw: string) => { ok: true; value: T } | { ok: false; problem: string };

interface VariableSpec<T> {
  readonly kind: string;
  readonly parse: Parse<T>;
  readonly defaultValue?: T;
  readonly hasDefault: boolean;
  readonly optional: boolean;
  readonly secret: boolean;
  readonly description?: string;
}

/**
 * One environment variable: how to parse it and what to do when it is absent. Immutable; each modifier
 * returns a new variable, so a shared definition cannot be changed behind another service's back.
 */
export class EnvVariable<T> {
  constructor(readonly spec: VariableSpec<T>) {}

  default(value: T): EnvVariable<T> {
    return new EnvVariable({ ...this.spec, defaultValue: value, hasDefault: true });
  }

  optional(): EnvVariable<T | undefined> {
    return new EnvVariable<T | undefined>({ ...this.spec, optional: true });
  }

  /** Never printed: redacted in descriptions, JSON, `util.inspect` and error messages. */
  secret(): EnvVariable<T> {
    return new EnvVariable({ ...this.spec, secret: true });
  }

  describe(description: string): EnvVariable<T> {
    return new EnvVariable({ ...this.spec, description });
  }
}

function variable<T>(kind: string, parse: Parse<T>): EnvVariable<T> {
  return new EnvVariable({ kind, parse, hasDefault: false, optional: false, secret: false });
}

const ok = <T>(value: T) => ({ ok: true as const, value });
const bad = (problem: string) => ({ ok: false as const, problem });

function parseInteger(raw: string, min: number, max: number) {
  if (!/^[+-]?\d+$/.test(raw.trim())) return bad('must be an integer');
  const value = Number(raw.trim());
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    return bad(`must be an integer in [${min}, ${max}]`);
  }
  return ok(value);
}

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Builders for the variable kinds a service needs. */
export const env = {
  string: () => variable<string>('string', (raw) => ok(raw)),

  integer: (range: { min?: number; max?: number } = {}) =>
    variable<number>('integer', (raw) =>
      parseInteger(raw, range.min ?? Number.MIN_SAFE_INTEGER, range.max ?? Number.MAX_SAFE_INTEGER),
    ),

  /** A TCP port; 0 asks the OS for a free one. */
  port: () => variable<number>('port', (raw) => parseInteger(raw, 0, 65_535)),

  url: (options: { protocols?: readonly string[] } = {}) =>
    variable<URL>('url', (raw) => {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        return bad('must be an absolute URL');
      }
      const protocols = options.protocols;
      if (protocols && !protocols.includes(url.protocol.replace(/:$/, ''))) {
        return bad(`must use one of the protocols ${protocols.join(', ')}`);
      }
      return ok(url);
    }),

  oneOf: <const V extends readonly [string, ...string[]]>(values: V) =>
    variable<V[number]>('enum', (raw) =>
      (values as readonly string[]).includes(raw)
        ? ok(raw as V[number])
        : bad(`must be one of ${values.join(', ')}`),
    ),

  /** `1500`, `1500ms`, `30s`, `5m`, `1h`; the value is in milliseconds. */
  durationMs: (range: { min?: number; max?: number } = {}) =>
    variable<number>('duration', (raw) => {
      const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(raw.trim());
      if (!match) return bad('must be a duration such as 500ms, 30s, 5m or a number of milliseconds');
      const value = Math.round(Number(match[1]) * DURATION_UNITS_MS[match[2] ?? 'ms']);
      const min = range.min ?? 0;
      const max = range.max ?? Number.MAX_SAFE_INTEGER;
      return value < min || value > max ? bad(`must be between ${min} ms and ${max} ms`) : ok(value);
    }),

  boolean: () =>
    variable<boolean>('boolean', (raw) => {
      const v = raw.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return ok(true);
      if (['0', 'false', 'no', 'off'].includes(v)) return ok(false);
      return bad('must be true or false');
    }),
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the value type is erased in a schema map
export type ConfigSchema = Record<string, EnvVariable<any>>;

export type ConfigOf<S extends ConfigSchema> = {
  readonly [K in keyof S]: S[K] extends EnvVariable<infer T> ? T : never;
};

export interface ConfigProblem {
  readonly variable: string;
  readonly problem: string;
}

/** Every invalid or missing variable at once, so an operator fixes the deployment in one pass. */
export class ConfigError extends Error {
  readonly code = 'invalid_configuration';
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      `invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  ${p.variable}: ${p.problem}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

const secretKeys = new WeakMap<object, ReadonlySet<string>>();

function displayValue(value: unknown): unknown {
  return value instanceof URL ? value.href : value;
}

/** The configuration as plain data with every secret replaced by {@link REDACTED}: safe to log. */
export function describeConfig<C extends object>(config: C): Record<keyof C, unknown> {
  const secrets = secretKeys.get(config) ?? new Set<string>();
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [
      key,
      secrets.has(key) && value !== undefined ? REDACTED : displayValue(value),
    ]),
  ) as Record<keyof C, unknown>;
}

/** The values of the secret variables, so a logger can scrub them from any text. */
export function secretValues(config: object): string[] {
  const secrets = secretKeys.get(config) ?? new Set<string>();
  return Object.entries(config)
    .filter(([key, value]) => secrets.has(key) && value !== undefined && String(value).length > 0)
    .map(([, value]) => String(displayValue(value)));
}

/**
 * Parses the environment once against the schema. An empty value counts as unset, as `FOO=` in a compose
 * file or manifest usually means "not configured". Throws one {@link ConfigError} naming every variable
 * that is missing or invalid; a secret's rejected value is never echoed. The result is frozen, and its
 * JSON and `util.inspect` forms redact secrets.
 */
export function loadConfig<S extends ConfigSchema>(
  schema: S,
  source: Readonly<Record<string, string | undefined>> = process.env,
): ConfigOf<S> {
  const problems: ConfigProblem[] = [];
  const values: Record<string, unknown> = {};
  const secrets = new Set<string>();
  for (const [name, { spec }] of Object.entries(schema)) {
    if (spec.secret) secrets.add(name);
    const raw = source[name];
    if (raw === undefined || raw === '') {
      if (spec.hasDefault) values[name] = spec.defaultValue;
      else if (spec.optional) values[name] = undefined;
      else problems.push({ variable: name, problem: `is required (${spec.description ?? spec.kind})` });
      continue;
    }
    const parsed = spec.parse(raw);
    if (parsed.ok) values[name] = parsed.value;
    else {
      const shown = spec.secret
        ? ''
        : ` (got ${JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}…` : raw)})`;
      problems.push({ variable: name, problem: `${parsed.problem}${shown}` });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const config = values as ConfigOf<S>;
  secretKeys.set(config, secrets);
  Object.defineProperty(config, 'toJSON', { value: () => describeConfig(config), enumerable: false });
  Object.defineProperty(config, inspect.custom, {
    value: (_depth: number, options: object) => inspect(describeConfig(config), options),
    enumerable: false,
  });
  return Object.freeze(config);
}
