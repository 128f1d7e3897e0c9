import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IDENTITIES } from '@slca/service-kit';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { certsCommand } from './commands/certs';
import { cliCredentials } from './commands/credentials';

const dir = mkdtempSync(join(tmpdir(), 'slca-cli-certs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(flags: Parameters<typeof certsCommand>[0]): Promise<string> {
  const written: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    written.push(String(chunk));
    return true;
  });
  try {
    await certsCommand(flags);
  } finally {
    spy.mockRestore();
  }
  return written.join('');
}

describe('slca certs --out DIR', () => {
  it('makes the CA and a certificate per identity for the namespace, printing names, never contents', async () => {
    const out = join(dir, 'certs');
    const printed = await run({ out, namespace: 'lab', host: ['slca.example.org'] });
    expect(printed).toContain(`issued: ${IDENTITIES.join(', ')}`);
    expect(printed).not.toContain('BEGIN');
    for (const identity of IDENTITIES)
      expect(statSync(join(out, `${identity}.key`)).mode & 0o777).toBe(0o600);
    const trainer = new X509Certificate(readFileSync(join(out, 'trainer.pem')));
    expect(trainer.checkHost('trainer.lab.svc.cluster.local')).toBe('trainer.lab.svc.cluster.local');
    expect(trainer.checkHost('slca.example.org')).toBe('slca.example.org');
    expect(trainer.checkHost('trainer.slca.svc')).toBeUndefined();
    // Run again: everything is reused.
    expect(await run({ out, namespace: 'lab' })).toContain('issued: none');
  });

  it('refuses a namespace that is not a Kubernetes name', async () => {
    await expect(run({ out: join(dir, 'x'), namespace: 'Not_A_Name' })).rejects.toThrow(
      '--namespace must be a Kubernetes namespace name',
    );
  });
});

describe("the CLI's client certificate", () => {
  it("is the local stack's, from $SLCA_STACK_DIR/tls, when SLCA_TLS_* are not set", async () => {
    const stack = join(dir, 'stack');
    await run({ out: join(stack, 'tls'), namespace: 'slca' });
    expect(cliCredentials('operator', { SLCA_STACK_DIR: stack })._isSecure()).toBe(true);
  });

  it('says how to get one when there is none', () => {
    expect(() => cliCredentials('cli', { SLCA_STACK_DIR: join(dir, 'nowhere') })).toThrow(
      /no client certificate: set SLCA_TLS_CA, SLCA_TLS_CERT and SLCA_TLS_KEY, or start the local stack here/,
    );
  });

  it('names a missing SLCA_TLS_* variable rather than falling back', () => {
    expect(() => cliCredentials('cli', { SLCA_TLS_CA: join(dir, 'stack', 'tls', 'ca.pem') })).toThrow(
      /SLCA_TLS_CERT: is required/,
    );
  });
});
