import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureCertificates, tlsFilesOf } from './certificates';
import { tlsFromEnv } from './credentials';
import { IDENTITIES } from './identities';

const dir = mkdtempSync(join(tmpdir(), 'slca-certs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cert = (identity: (typeof IDENTITIES)[number]) =>
  new X509Certificate(readFileSync(tlsFilesOf(dir, identity).cert));

describe('ensureCertificates', () => {
  it('makes a CA and one certificate per identity, keys readable by the owner only', async () => {
    const folder = await ensureCertificates(dir);
    expect([...folder.issued].sort()).toEqual([...IDENTITIES].sort());
    const ca = new X509Certificate(readFileSync(join(dir, 'ca.pem')));
    expect(ca.ca).toBe(true);
    expect(statSync(join(dir, 'ca.key')).mode & 0o777).toBe(0o600);
    for (const identity of IDENTITIES) {
      const files = tlsFilesOf(dir, identity);
      expect(statSync(files.key).mode & 0o777).toBe(0o600);
      const leaf = cert(identity);
      expect(leaf.subject).toBe(`CN=${identity}\nO=slca`);
      expect(leaf.ca).toBe(false);
      expect(leaf.verify(ca.publicKey)).toBe(true);
      expect(leaf.checkIssued(ca)).toBe(true);
      expect(leaf.publicKey.asymmetricKeyDetails).toMatchObject({ namedCurve: 'prime256v1' });
    }
  });

  it('gives a service both usages and its loopback and Kubernetes names; a client only clientAuth, no names', () => {
    const trainer = cert('trainer');
    expect(trainer.keyUsage.sort()).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    expect(trainer.checkHost('localhost')).toBe('localhost');
    expect(trainer.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(trainer.checkHost('trainer.slca.svc.cluster.local')).toBe('trainer.slca.svc.cluster.local');
    expect(trainer.checkHost('trainer')).toBe('trainer');
    expect(trainer.checkHost('splitter')).toBeUndefined();
    const dashboard = cert('dashboard');
    expect(dashboard.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(dashboard.subjectAltName).toBeUndefined();
  });

  it('reuses what is there, and issues again only what is missing', async () => {
    const before = cert('cli').serialNumber;
    const caBefore = readFileSync(join(dir, 'ca.pem'), 'utf8');
    unlinkSync(tlsFilesOf(dir, 'job').cert);
    const again = await ensureCertificates(dir);
    expect(again.issued).toEqual(['job']);
    expect(cert('cli').serialNumber).toBe(before);
    expect(readFileSync(join(dir, 'ca.pem'), 'utf8')).toBe(caBefore);
    expect(cert('job').checkIssued(new X509Certificate(caBefore))).toBe(true);
  });
});

describe('tlsFromEnv', () => {
  it('names every missing variable', () => {
    expect(() => tlsFromEnv({ SLCA_TLS_CA: join(dir, 'ca.pem') })).toThrow(
      /SLCA_TLS_CERT: is required[^\n]*\n\s+SLCA_TLS_KEY: is required/,
    );
  });

  it('names the variable whose file cannot be read, never a file content', () => {
    const files = tlsFilesOf(dir, 'cli');
    let message = '';
    try {
      tlsFromEnv({ SLCA_TLS_CA: files.ca, SLCA_TLS_CERT: files.cert, SLCA_TLS_KEY: join(dir, 'nope.key') });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(`SLCA_TLS_KEY: cannot read ${join(dir, 'nope.key')} (ENOENT)`);
    expect(message).not.toContain('BEGIN');
  });

  it('reads the three files', () => {
    const files = tlsFilesOf(dir, 'cli');
    const material = tlsFromEnv({
      SLCA_TLS_CA: files.ca,
      SLCA_TLS_CERT: files.cert,
      SLCA_TLS_KEY: files.key,
    });
    expect(material.key.toString()).toContain('-----BEGIN PRIVATE KEY-----');
    expect(material.cert.equals(readFileSync(files.cert))).toBe(true);
  });
});
