import { InvalidArgumentError } from './errors';
import { DEFAULT_BUCKET, validateBucketName } from './layout';

export const DEFAULT_REGION = 'us-east-1';

/** The environment variables `storeConfigFromEnv` reads; each problem is reported under one of these names. */
export const STORE_ENV = {
  endpoint: 'SLCA_S3_ENDPOINT',
  accessKey: 'SLCA_S3_ACCESS_KEY',
  secretKey: 'SLCA_S3_SECRET_KEY',
  bucket: 'SLCA_S3_BUCKET',
  region: 'SLCA_S3_REGION',
} as const;

export interface StoreSettings {
  /** `http://host:port` or `https://host:port`; no path, query or user info. */
  endpoint: string;
  accessKey: string;
  secretKey: string;
  /** Defaults to `slca`. */
  bucket?: string;
  /** Defaults to `us-east-1`. */
  region?: string;
}

export interface ConfigProblem {
  /** The environment variable (or settings field) at fault. */
  variable: string;
  message: string;
}

/** Every problem with the object-store configuration at once, so one restart fixes them all. */
export class StoreConfigError extends InvalidArgumentError {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      problems.map((problem) => problem.variable).join(', '),
      undefined,
      problems.map((problem) => `${problem.variable}: ${problem.message}`).join('; '),
    );
    this.message = `invalid object store configuration:\n${problems
      .map((problem) => `  ${problem.variable}: ${problem.message}`)
      .join('\n')}`;
    this.name = 'StoreConfigError';
  }
}

const REDACTED = '[redacted]';

/**
 * Validated object-store settings. The secret key lives in a private field: it is readable through
 * `secretKey` by the code that signs requests, but `JSON.stringify`, `String()` and `util.inspect`
 * never show it, so a config logged at boot cannot leak it.
 */
export class StoreConfig {
  readonly endpoint: string;
  readonly host: string;
  readonly port: number;
  readonly useSSL: boolean;
  readonly accessKey: string;
  readonly bucket: string;
  readonly region: string;
  readonly #secretKey: string;

  private constructor(fields: StoreEndpointFields, secretKey: string) {
    this.endpoint = fields.endpoint;
    this.host = fields.host;
    this.port = fields.port;
    this.useSSL = fields.useSSL;
    this.accessKey = fields.accessKey;
    this.bucket = fields.bucket;
    this.region = fields.region;
    this.#secretKey = secretKey;
    Object.freeze(this);
  }

  get secretKey(): string {
    return this.#secretKey;
  }

  toJSON(): Record<string, unknown> {
    return {
      endpoint: this.endpoint,
      accessKey: this.accessKey,
      secretKey: REDACTED,
      bucket: this.bucket,
      region: this.region,
    };
  }

  toString(): string {
    return `s3 ${this.endpoint} bucket ${this.bucket} (region ${this.region}, access key ${this.accessKey})`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `StoreConfig { ${this.toString()} }`;
  }

  /** Validates explicit settings; problems are named after the settings fields. */
  static from(settings: StoreSettings): StoreConfig {
    return StoreConfig.build(
      {
        endpoint: settings.endpoint,
        accessKey: settings.accessKey,
        secretKey: settings.secretKey,
        bucket: settings.bucket,
        region: settings.region,
      },
      {
        endpoint: 'endpoint',
        accessKey: 'accessKey',
        secretKey: 'secretKey',
        bucket: 'bucket',
        region: 'region',
      },
    );
  }

  /** Validates settings named after environment variables; see `storeConfigFromEnv`. */
  static fromEnv(env: Record<string, string | undefined> = process.env): StoreConfig {
    return StoreConfig.build(
      {
        endpoint: env[STORE_ENV.endpoint],
        accessKey: env[STORE_ENV.accessKey],
        secretKey: env[STORE_ENV.secretKey],
        bucket: emptyToUndefined(env[STORE_ENV.bucket]),
        region: emptyToUndefined(env[STORE_ENV.region]),
      },
      STORE_ENV,
    );
  }

  private static build(raw: RawSettings, names: Names): StoreConfig {
    const problems = validateSettings(raw, names);
    if (problems.fields === undefined) throw new StoreConfigError(problems.list);
    return new StoreConfig(problems.fields, raw.secretKey ?? '');
  }
}

interface StoreEndpointFields {
  endpoint: string;
  host: string;
  port: number;
  useSSL: boolean;
  accessKey: string;
  bucket: string;
  region: string;
}

/**
 * Reads and validates the object-store configuration from the environment, once, at boot. Access and
 * secret keys are required: the platform never talks to the store anonymously.
 */
export function storeConfigFromEnv(env: Record<string, string | undefined> = process.env): StoreConfig {
  return StoreConfig.fromEnv(env);
}

type Names = Record<keyof StoreSettings, string>;
type RawSettings = Record<keyof StoreSettings, string | undefined>;

function validateSettings(
  raw: RawSettings,
  names: Names,
): { fields: StoreEndpointFields | undefined; list: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const problem = (field: keyof StoreSettings, message: string): void => {
    problems.push({ variable: names[field], message });
  };

  const endpoint = parseEndpoint(raw.endpoint, (message) => problem('endpoint', message));

  const accessKey = raw.accessKey?.trim() ?? '';
  if (accessKey === '') problem('accessKey', 'required (anonymous access is not allowed)');
  else if (accessKey !== raw.accessKey) problem('accessKey', 'must not start or end with whitespace');

  // Only ever describe the secret by its shape: its value must not reach a message.
  const secretKey = raw.secretKey ?? '';
  if (secretKey.trim() === '') problem('secretKey', 'required (anonymous access is not allowed)');
  else if (secretKey.trim() !== secretKey) problem('secretKey', 'must not start or end with whitespace');

  const bucket = raw.bucket ?? DEFAULT_BUCKET;
  try {
    validateBucketName(names.bucket, bucket);
  } catch (error) {
    problem('bucket', (error as InvalidArgumentError).reason + ` (got ${JSON.stringify(bucket)})`);
  }

  const region = raw.region ?? DEFAULT_REGION;
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(region)) {
    problem('region', `expected a region name like "us-east-1", got ${JSON.stringify(region)}`);
  }

  const fields =
    problems.length === 0 && endpoint !== undefined ? { ...endpoint, accessKey, bucket, region } : undefined;
  return { fields, list: problems };
}

function parseEndpoint(
  raw: string | undefined,
  fail: (message: string) => void,
): { endpoint: string; host: string; port: number; useSSL: boolean } | undefined {
  if (raw === undefined || raw.trim() === '') {
    fail('required, e.g. http://127.0.0.1:9000');
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    fail(`not a URL: ${JSON.stringify(raw)} (expected e.g. http://127.0.0.1:9000)`);
    return undefined;
  }
  // The URL is echoed only after user info has been ruled out, so a password in it is never printed.
  if (url.username !== '' || url.password !== '') {
    fail('must not carry credentials; use the access and secret key variables');
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    fail(`expected an http:// or https:// URL, got ${JSON.stringify(raw)}`);
    return undefined;
  }
  if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '') {
    fail(`expected scheme, host and port only (no path, query or fragment), got ${JSON.stringify(raw)}`);
    return undefined;
  }
  const useSSL = url.protocol === 'https:';
  const port = url.port === '' ? (useSSL ? 443 : 80) : Number(url.port);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return { endpoint: `${url.protocol}//${url.host}`, host, port, useSSL };
}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
