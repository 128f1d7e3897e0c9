import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ChannelCredentials } from '@grpc/grpc-js';
import {
  channelCredentials,
  readTls,
  TLS_ENV,
  tlsFilesOf,
  tlsFromEnv,
  type ClientIdentity,
} from '@slca/service-kit';
import { TLS_DIR } from '@slca/stack';
import { UsageError } from '../io';

/** The local stack's state folder (`slca stack --data-dir`), where its certificates are. */
export const DEFAULT_STACK_DIR = '.slca-stack';

/**
 * The client certificate the CLI calls the services with (mutual TLS; there is no plain-text mode):
 *
 * 1. the files SLCA_TLS_CA, SLCA_TLS_CERT and SLCA_TLS_KEY name, when set (a certificate the platform's
 *    operator gave you; its identity decides what you may call);
 * 2. otherwise the local stack's certificate of `identity` in `$SLCA_STACK_DIR/tls` (default
 *    `.slca-stack/tls`): `cli` for runs and reads, `operator` for what reads paths on the splitter's host.
 */
export function cliCredentials(
  identity: Extract<ClientIdentity, 'cli' | 'operator'>,
  env: NodeJS.ProcessEnv = process.env,
): ChannelCredentials {
  if (Object.values(TLS_ENV).some((name) => env[name])) return channelCredentials(tlsFromEnv(env));
  const dir = resolve(env.SLCA_STACK_DIR || DEFAULT_STACK_DIR, TLS_DIR);
  const files = tlsFilesOf(dir, identity);
  if (!existsSync(files.cert) || !existsSync(files.key))
    throw new UsageError(
      `no client certificate: set ${TLS_ENV.ca}, ${TLS_ENV.cert} and ${TLS_ENV.key}, or start the local ` +
        `stack here (its certificates go to ${dir}; SLCA_STACK_DIR names another state folder)`,
    );
  return channelCredentials(readTls(files));
}
