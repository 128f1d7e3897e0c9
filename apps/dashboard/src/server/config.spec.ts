import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DashboardConfigError, loadConfig } from './config';

/** PEM-shaped files: the configuration reads them; the TLS handshake (not tested here) would use them. */
const pemDir = mkdtempSync(join(tmpdir(), 'slca-dashboard-config-'));
const pem = (name: string) => {
  const path = join(pemDir, name);
  writeFileSync(path, `-----BEGIN ${name}-----\n-----END ${name}-----\n`);
  return path;
};

const VALID = {
  SLCA_TLS_CA: pem('ca'),
  SLCA_TLS_CERT: pem('cert'),
  SLCA_TLS_KEY: pem('key'),
  SLCA_TRAINER_ADDRESS: '127.0.0.1:50052',
  SLCA_EVALUATOR_ADDRESS: '127.0.0.1:50054',
  SLCA_SPLITTER_ADDRESS: 'splitter.slca.svc:50051',
  SLCA_S3_ENDPOINT: 'http://127.0.0.1:9000',
  SLCA_S3_ACCESS_KEY: 'access',
  SLCA_S3_SECRET_KEY: 'secret-key',
  SLCA_DASHBOARD_USER: 'ada',
  SLCA_DASHBOARD_PASSWORD: 'correct-horse',
  SLCA_DASHBOARD_SESSION_SECRET: 'x'.repeat(32),
};

function problems(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof DashboardConfigError) return error.problems.map((p) => p.variable);
    throw error;
  }
  return [];
}

describe('dashboard configuration', () => {
  it('needs its client certificate: each missing TLS variable is named, an unreadable file too', () => {
    expect(problems({ ...VALID, SLCA_TLS_CERT: undefined, SLCA_TLS_KEY: '' })).toEqual([
      'SLCA_TLS_CERT',
      'SLCA_TLS_KEY',
    ]);
    expect(problems({ ...VALID, SLCA_TLS_CA: join(pemDir, 'nope.pem') })).toEqual(['SLCA_TLS_CA']);
    expect(loadConfig(VALID).tls.cert.toString()).toContain('-----BEGIN cert-----');
  });

  it('accepts a complete environment and finds the contracts’ .proto files', () => {
    const config = loadConfig(VALID);
    expect(config.trainerAddress).toBe('127.0.0.1:50052');
    expect(config.deadlineMs).toBe(10_000);
    expect(JSON.stringify(config)).not.toContain('secret-key');
  });

  it('names every missing or bad variable at once', () => {
    expect(problems({})).toEqual([
      'SLCA_TRAINER_ADDRESS',
      'SLCA_EVALUATOR_ADDRESS',
      'SLCA_SPLITTER_ADDRESS',
      'SLCA_S3_ENDPOINT',
      'SLCA_S3_ACCESS_KEY',
      'SLCA_S3_SECRET_KEY',
      'SLCA_DASHBOARD_ACCOUNTS',
      'SLCA_DASHBOARD_SESSION_SECRET',
      'SLCA_TLS_CA',
      'SLCA_TLS_CERT',
      'SLCA_TLS_KEY',
    ]);
    expect(problems({ ...VALID, SLCA_TRAINER_ADDRESS: 'trainer' })).toEqual(['SLCA_TRAINER_ADDRESS']);
    expect(problems({ ...VALID, SLCA_DASHBOARD_PASSWORD: undefined })).toEqual(['SLCA_DASHBOARD_PASSWORD']);
    expect(problems({ ...VALID, SLCA_DASHBOARD_SESSION_SECRET: 'short' })).toEqual([
      'SLCA_DASHBOARD_SESSION_SECRET',
    ]);
    expect(problems({ ...VALID, SLCA_DASHBOARD_DEADLINE_MS: '0' })).toEqual(['SLCA_DASHBOARD_DEADLINE_MS']);
    expect(problems({ ...VALID, SLCA_DASHBOARD_TRUSTED_PROXIES: 'yes' })).toEqual([
      'SLCA_DASHBOARD_TRUSTED_PROXIES',
    ]);
    expect(loadConfig({ ...VALID }).trustedProxies).toBe(0);
    expect(loadConfig({ ...VALID, SLCA_DASHBOARD_TRUSTED_PROXIES: '2' }).trustedProxies).toBe(2);
  });

  it('signs in by token alone when no user is configured', () => {
    const env = { ...VALID, SLCA_DASHBOARD_USER: undefined, SLCA_DASHBOARD_PASSWORD: undefined };
    expect(problems(env)).toEqual(['SLCA_DASHBOARD_ACCOUNTS']);
    expect(loadConfig({ ...env, SLCA_DASHBOARD_TOKEN: 't'.repeat(24) }).credentials.token).toHaveLength(24);
  });
});
