import { resolve } from 'node:path';
import { ensureCertificates, IDENTITIES } from '@slca/service-kit';
import { UsageError } from '../io';

export interface CertsFlags {
  out: string;
  namespace: string;
  host?: string[];
}

/**
 * `slca certs --out DIR`: the platform's private CA and one certificate per identity, for Kubernetes
 * Secrets (deploy/k8s/create-secrets.sh reads the folder). Reuses what the folder holds; prints file
 * names, never their content. Keep the folder (the CA key above all) off shared disks.
 */
export async function certsCommand(flags: CertsFlags): Promise<void> {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(flags.namespace))
    throw new UsageError(
      `--namespace must be a Kubernetes namespace name (got ${JSON.stringify(flags.namespace)})`,
    );
  const dir = resolve(flags.out);
  const folder = await ensureCertificates(dir, { namespace: flags.namespace, extraHosts: flags.host ?? [] });
  const reused = IDENTITIES.filter((identity) => !folder.issued.includes(identity));
  process.stdout.write(
    [
      `certificates in ${dir} (CA: ca.pem; private keys mode 0600)`,
      `  issued: ${folder.issued.join(', ') || 'none'}`,
      `  reused: ${reused.join(', ') || 'none'}`,
      `make the Kubernetes Secrets with: deploy/k8s/create-secrets.sh --certs ${dir}`,
      '',
    ].join('\n'),
  );
}
