import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { StoreConfig, StoreConfigError, storeConfigFromEnv } from './config';

const SECRET = 'sup3r-s3cret-value';

function configError(run: () => unknown): StoreConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(StoreConfigError);
    return error as StoreConfigError;
  }
  throw new Error('expected a StoreConfigError');
}

describe('storeConfigFromEnv', () => {
  it('reads a complete environment, with bucket and region defaults', () => {
    const config = storeConfigFromEnv({
      SLCA_S3_ENDPOINT: 'http://127.0.0.1:9000',
      SLCA_S3_ACCESS_KEY: 'slca',
      SLCA_S3_SECRET_KEY: SECRET,
    });
    expect(config).toMatchObject({
      endpoint: 'http://127.0.0.1:9000',
      host: '127.0.0.1',
      port: 9000,
      useSSL: false,
      accessKey: 'slca',
      bucket: 'slca',
      region: 'us-east-1',
    });
    expect(config.secretKey).toBe(SECRET);
  });

  it('takes https, default ports, the bucket and the region from the environment', () => {
    const config = storeConfigFromEnv({
      SLCA_S3_ENDPOINT: 'https://minio.slca.svc/',
      SLCA_S3_ACCESS_KEY: 'k',
      SLCA_S3_SECRET_KEY: SECRET,
      SLCA_S3_BUCKET: 'slca-prod',
      SLCA_S3_REGION: 'eu-west-3',
    });
    expect(config).toMatchObject({
      host: 'minio.slca.svc',
      port: 443,
      useSSL: true,
      bucket: 'slca-prod',
      region: 'eu-west-3',
    });
  });

  it('lists every bad variable in one error', () => {
    const error = configError(() =>
      storeConfigFromEnv({
        SLCA_S3_ENDPOINT: 'ftp://files:21',
        SLCA_S3_ACCESS_KEY: '',
        SLCA_S3_SECRET_KEY: '   ',
        SLCA_S3_BUCKET: 'Not_A_Bucket',
        SLCA_S3_REGION: 'EU WEST',
      }),
    );
    expect(error.code).toBe('invalid_argument');
    expect(error.problems.map((problem) => problem.variable)).toEqual([
      'SLCA_S3_ENDPOINT',
      'SLCA_S3_ACCESS_KEY',
      'SLCA_S3_SECRET_KEY',
      'SLCA_S3_BUCKET',
      'SLCA_S3_REGION',
    ]);
    for (const variable of [
      'SLCA_S3_ENDPOINT',
      'SLCA_S3_ACCESS_KEY',
      'SLCA_S3_SECRET_KEY',
      'SLCA_S3_BUCKET',
      'SLCA_S3_REGION',
    ]) {
      expect(error.message).toContain(variable);
    }
  });

  it('requires both keys: no anonymous access', () => {
    const error = configError(() => storeConfigFromEnv({ SLCA_S3_ENDPOINT: 'http://127.0.0.1:9000' }));
    expect(error.problems.map((problem) => problem.variable)).toEqual([
      'SLCA_S3_ACCESS_KEY',
      'SLCA_S3_SECRET_KEY',
    ]);
    expect(error.message).toMatch(/SLCA_S3_SECRET_KEY: required/);
  });

  it.each([
    ['a missing endpoint', undefined],
    ['a path', 'http://127.0.0.1:9000/bucket'],
    ['not a URL', '127.0.0.1:9000:x'],
    ['another scheme', 'ftp://127.0.0.1:9000'],
  ])('rejects %s', (_label, endpoint) => {
    const error = configError(() =>
      storeConfigFromEnv({ SLCA_S3_ENDPOINT: endpoint, SLCA_S3_ACCESS_KEY: 'k', SLCA_S3_SECRET_KEY: SECRET }),
    );
    expect(error.problems.map((problem) => problem.variable)).toEqual(['SLCA_S3_ENDPOINT']);
  });

  it('never prints the secret: not in errors, JSON, toString or inspect', () => {
    // A secret with whitespace around it is invalid; the error must describe it without quoting it.
    const padded = configError(() =>
      storeConfigFromEnv({
        SLCA_S3_ENDPOINT: 'nope',
        SLCA_S3_ACCESS_KEY: 'k',
        SLCA_S3_SECRET_KEY: ` ${SECRET} `,
      }),
    );
    expect(padded.problems.map((problem) => problem.variable)).toEqual([
      'SLCA_S3_ENDPOINT',
      'SLCA_S3_SECRET_KEY',
    ]);
    expect(`${padded.message} ${JSON.stringify(padded)} ${inspect(padded)}`).not.toContain(SECRET);

    const inUrl = configError(() =>
      storeConfigFromEnv({
        SLCA_S3_ENDPOINT: `http://admin:${SECRET}@127.0.0.1:9000`,
        SLCA_S3_ACCESS_KEY: 'k',
        SLCA_S3_SECRET_KEY: SECRET,
      }),
    );
    expect(inUrl.problems.map((problem) => problem.variable)).toEqual(['SLCA_S3_ENDPOINT']);
    expect(`${inUrl.message} ${inspect(inUrl)}`).not.toContain(SECRET);

    const config = storeConfigFromEnv({
      SLCA_S3_ENDPOINT: 'http://127.0.0.1:9000',
      SLCA_S3_ACCESS_KEY: 'k',
      SLCA_S3_SECRET_KEY: SECRET,
    });
    const shown = [
      JSON.stringify(config),
      String(config),
      `${config}`,
      inspect(config, { showHidden: true, depth: 5 }),
      JSON.stringify({ config }),
    ];
    for (const text of shown) expect(text).not.toContain(SECRET);
    expect(JSON.parse(JSON.stringify(config))).toMatchObject({ accessKey: 'k', secretKey: '[redacted]' });
    expect(Object.values(config)).not.toContain(SECRET);
  });

  it('names settings fields when built from explicit settings', () => {
    const error = configError(() =>
      StoreConfig.from({ endpoint: 'http://127.0.0.1:1', accessKey: 'k', secretKey: '' }),
    );
    expect(error.problems).toEqual([{ variable: 'secretKey', message: expect.stringContaining('required') }]);
  });
});
