import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureCertificates, IDENTITIES } from '@slca/service-kit';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { DEPLOY_ROOT, OVERLAYS, podTemplates, render, validate, type K8sObject } from './render';

// What `slca certs --out DIR` makes (the same function), once for this file.
const certsDir = mkdtempSync(join(tmpdir(), 'slca-k8s-certs-'));
const certs = await ensureCertificates(certsDir);
const script = join(DEPLOY_ROOT, 'k8s/create-secrets.sh');

const printSecrets = () =>
  parseAllDocuments(execFileSync('bash', [script, '--print', '--certs', certsDir], { encoding: 'utf8' }))
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);

const decode = (s: K8sObject, key: string) => Buffer.from(s.data[key] as string, 'base64').toString('utf8');

describe('deploy/k8s/create-secrets.sh --print', () => {
  const first = printSecrets();
  const second = printSecrets();

  it('produces valid Secrets with fresh random values on every run', () => {
    expect(first.map((s) => s.metadata.name).sort()).toEqual(
      [
        'slca-dashboard',
        'slca-minio-root',
        'slca-s3-dashboard',
        'slca-s3-evaluator',
        'slca-s3-splitter',
        'slca-s3-stats-store',
        'slca-s3-trainer',
        ...IDENTITIES.map((identity) => `slca-tls-${identity}`),
      ].sort(),
    );
    for (const s of first) {
      expect(s.kind).toBe('Secret');
      expect(s.metadata.namespace).toBe('slca');
      expect(() => validate(s)).not.toThrow();
    }
    const again = new Map(second.map((s) => [s.metadata.name, s]));
    for (const s of first) {
      for (const key of Object.keys(s.data).filter((k) => /SECRET|PASSWORD/.test(k))) {
        expect(decode(s, key).length).toBeGreaterThanOrEqual(24);
        expect(decode(s, key)).not.toBe(decode(again.get(s.metadata.name) as K8sObject, key));
      }
    }
  });

  it("puts each identity's certificate, its key and the CA (never the CA's key) in a kubernetes.io/tls Secret", () => {
    const ca = new X509Certificate(certs.material('cli').ca);
    for (const identity of IDENTITIES) {
      const secret = first.find((s) => s.metadata.name === `slca-tls-${identity}`) as K8sObject;
      expect(secret.type).toBe('kubernetes.io/tls');
      expect(Object.keys(secret.data).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
      const cert = new X509Certificate(decode(secret, 'tls.crt'));
      expect(cert.subject).toContain(`CN=${identity}`);
      expect(cert.checkIssued(ca)).toBe(true);
      expect(decode(secret, 'tls.key')).toBe(certs.material(identity).key.toString());
      expect(new X509Certificate(decode(secret, 'ca.crt')).fingerprint256).toBe(ca.fingerprint256);
    }
    const everything = first.map((s) => JSON.stringify(s.data)).join('');
    const caKey = readFileSync(join(certsDir, 'ca.key')).toString('base64');
    expect(everything).not.toContain(caKey);
  });

  it('refuses to run without the certificates, saying how to make them', () => {
    const run = spawnSync('bash', [script, '--print'], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('npm run slca -- certs --out DIR --namespace slca');
    expect(run.stdout).toBe('');
  });

  it('keeps MinIO access keys within MinIO’s 20 characters and distinct per service', () => {
    const keys = first
      .filter((s) => s.metadata.name.startsWith('slca-s3-'))
      .map((s) => decode(s, 'SLCA_S3_ACCESS_KEY'));
    for (const k of keys) expect(k.length).toBeLessThanOrEqual(20);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it.each(OVERLAYS)('creates every Secret key the %s overlay references', (overlay) => {
    const created = new Map(first.map((s) => [s.metadata.name, Object.keys(s.data)]));
    const refs: { name: string; key: string }[] = [];
    for (const { spec } of podTemplates(render(overlay))) {
      for (const c of spec.containers)
        for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef) refs.push(e.valueFrom.secretKeyRef);
      for (const v of spec.volumes ?? []) {
        // A whole Secret mounted as files: every key the mounting container reads (the TLS files).
        if (v.secret?.secretName?.startsWith('slca-tls-'))
          for (const key of ['ca.crt', 'tls.crt', 'tls.key']) refs.push({ name: v.secret.secretName, key });
        for (const source of v.projected?.sources ?? [])
          for (const item of source.secret?.items ?? [])
            refs.push({ name: source.secret.name, key: item.key });
      }
    }
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) expect(created.get(ref.name), `${ref.name}/${ref.key}`).toContain(ref.key);
  });
});
