import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureCertificates, type CertificateFolder } from './certificates';

/*
 * Certificates for tests: a CA and every identity's certificate in a temporary folder, made once per test
 * process (EC keys take milliseconds) and removed when it exits.
 */

const made = new Map<string, Promise<CertificateFolder>>();

/**
 * The test process's certificate folder. `label` gives a second, unrelated CA (with the same identity
 * names), e.g. `foreign` for a client the services must not trust.
 */
export function testCertificates(label = 'slca'): Promise<CertificateFolder> {
  let folder = made.get(label);
  if (!folder) {
    const dir = mkdtempSync(join(tmpdir(), `${label}-tls-`));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    folder = ensureCertificates(dir);
    made.set(label, folder);
  }
  return folder;
}
