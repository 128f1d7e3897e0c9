import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, env, loadConfig, REDACTED, secretValues } from './config';
import { createLogger } from './logging';

const schema = {
  GRPC_HOST: env.string().default('127.0.0.1'),
  GRPC_PORT: env.port(),
  WORKERS: env.integer({ min: 1, max: 64 }).default(2),
  S3_ENDPOINT: env.url({ protocols: ['http', 'https'] }),
  S3_SECRET_KEY: env.string().secret(),
  LOG_LEVEL: env.oneOf(['debug', 'info', 'warn', 'error']).default('info'),
  CALL_DEADLINE: env.durationMs({ min: 1 }).default(10_000),
  DRY_RUN: env.boolean().default(false),
  RUN_ID: env.string().optional(),
};

const valid = {
  GRPC_PORT: '0',
  S3_ENDPOINT: 'http://127.0.0.1:9000',
  S3_SECRET_KEY: 'hunter2-very-secret',
  CALL_DEADLINE: '30s',
  DRY_RUN: 'yes',
};

function problemsOf(source: Record<string, string>) {
  try {
    loadConfig(schema, source);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('loadConfig', () => {
  it('parses each kind and applies defaults', () => {
    const config = loadConfig(schema, valid);
    expect(config.GRPC_PORT).toBe(0);
    expect(config.GRPC_HOST).toBe('127.0.0.1');
    expect(config.WORKERS).toBe(2);
    expect(config.S3_ENDPOINT.port).toBe('9000');
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.CALL_DEADLINE).toBe(30_000);
    expect(config.DRY_RUN).toBe(true);
    expect(config.RUN_ID).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads durations in ms, s, m and h', () => {
    const durations = ['250', '250ms', '2s', '1.5m', '1h'].map(
      (raw) => loadConfig({ D: env.durationMs() }, { D: raw }).D,
    );
    expect(durations).toEqual([250, 250, 2_000, 90_000, 3_600_000]);
  });

  it('lists every missing and invalid variable in one error, by name and with what is wrong', () => {
    const error = problemsOf({
      GRPC_PORT: '70000',
      WORKERS: 'two',
      S3_ENDPOINT: 'ftp://store',
      LOG_LEVEL: 'loud',
      CALL_DEADLINE: 'soon',
      DRY_RUN: 'maybe',
    });
    expect(error.problems.map((p) => p.variable)).toEqual([
      'GRPC_PORT',
      'WORKERS',
      'S3_ENDPOINT',
      'S3_SECRET_KEY',
      'LOG_LEVEL',
      'CALL_DEADLINE',
      'DRY_RUN',
    ]);
    expect(error.message).toContain('GRPC_PORT: must be an integer in [0, 65535] (got "70000")');
    expect(error.message).toContain('WORKERS: must be an integer');
    expect(error.message).toContain('S3_ENDPOINT: must use one of the protocols http, https');
    expect(error.message).toContain('S3_SECRET_KEY: is required');
    expect(error.message).toContain('LOG_LEVEL: must be one of debug, info, warn, error (got "loud")');
    expect(error.message).toContain('CALL_DEADLINE: must be a duration');
    expect(error.message).toContain('DRY_RUN: must be true or false');
    expect(error.message).toMatch(/^invalid configuration \(7 problems\)/);
  });

  it('never echoes a secret, even a rejected one', () => {
    const error = problemsOf({ ...valid, S3_SECRET_KEY: '' });
    expect(error.problems).toEqual([{ variable: 'S3_SECRET_KEY', problem: 'is required (string)' }]);
    const port = loadConfig({ TOKEN_PORT: env.port().secret() }, { TOKEN_PORT: '1' });
    expect(port.TOKEN_PORT).toBe(1);
    try {
      loadConfig({ PIN: env.integer().secret() }, { PIN: 'abc-secret-pin' });
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toContain('PIN: must be an integer');
      expect((e as Error).message).not.toContain('abc-secret-pin');
    }
  });

  it('redacts secrets in JSON, util.inspect and describeConfig, while the value stays usable', () => {
    const config = loadConfig(schema, valid);
    expect(config.S3_SECRET_KEY).toBe('hunter2-very-secret');
    const json = JSON.stringify(config);
    expect(json).not.toContain('hunter2');
    expect(JSON.parse(json)).toMatchObject({
      S3_SECRET_KEY: REDACTED,
      S3_ENDPOINT: 'http://127.0.0.1:9000/',
    });
    expect(inspect(config)).not.toContain('hunter2');
    expect(inspect(config)).toContain(REDACTED);
    expect(describeConfig(config).S3_SECRET_KEY).toBe(REDACTED);
    expect(secretValues(config)).toEqual(['hunter2-very-secret']);
  });

  it('keeps secrets out of log lines, in fields and inside messages', () => {
    const config = loadConfig(schema, valid);
    const lines: string[] = [];
    const logger = createLogger({
      service: 'test',
      secrets: secretValues(config),
      write: (l) => lines.push(l),
    });
    logger.info('booted', { config });
    logger.info(`connecting with ${config.S3_SECRET_KEY}`, { password: 'not-in-config' });
    logger.error('failed', { error: new Error(`auth failed for key ${config.S3_SECRET_KEY}`) });
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      expect(line).not.toContain('hunter2');
      expect(line).not.toContain('not-in-config');
    }
    expect(JSON.parse(lines[0])).toMatchObject({ service: 'test', level: 'info', msg: 'booted' });
  });
});
