import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { ConfigError, type ConfigProblem } from '../config';

/*
 * Mutual TLS material for servers and clients, read from PEM files. Nest-free: the dashboard's server side
 * loads its client certificate with it. File contents are never put in a message or a log line.
 */

/** The variables naming the PEM files of a process's identity: the CA it trusts, its certificate and key. */
export const TLS_ENV = {
  ca: 'SLCA_TLS_CA',
  cert: 'SLCA_TLS_CERT',
  key: 'SLCA_TLS_KEY',
} as const;

/** A process's identity as PEM bytes: the CA it trusts, its certificate chain and its private key. */
export interface TlsMaterial {
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
}

export type TlsPaths = { readonly [K in keyof typeof TLS_ENV]: string };

const DESCRIPTIONS: Record<keyof typeof TLS_ENV, string> = {
  ca: 'PEM file of the CA the peers are checked against',
  cert: "PEM file of this process's certificate",
  key: "PEM file of this process's private key",
};

/** Reads the three files; a ConfigError names each variable whose file cannot be read (never its content). */
export function readTls(
  paths: TlsPaths,
  variables: Record<keyof typeof TLS_ENV, string> = TLS_ENV,
): TlsMaterial {
  const problems: ConfigProblem[] = [];
  const read = (part: keyof typeof TLS_ENV): Buffer => {
    try {
      const bytes = readFileSync(paths[part]);
      if (!bytes.includes('-----BEGIN'))
        problems.push({ variable: variables[part], problem: `${paths[part]} is not a PEM file` });
      return bytes;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      problems.push({ variable: variables[part], problem: `cannot read ${paths[part]} (${code})` });
      return Buffer.alloc(0);
    }
  };
  const material = { ca: read('ca'), cert: read('cert'), key: read('key') };
  if (problems.length > 0) throw new ConfigError(problems);
  return material;
}

/**
 * The TLS material the SLCA_TLS_* variables name. There is no plain-text fallback: a process without them
 * does not start, and the error names every variable that is missing.
 */
export function tlsFromEnv(source: Readonly<Record<string, string | undefined>> = process.env): TlsMaterial {
  const missing = (Object.keys(TLS_ENV) as (keyof typeof TLS_ENV)[]).filter((part) => !source[TLS_ENV[part]]);
  if (missing.length > 0) {
    throw new ConfigError(
      missing.map((part) => ({
        variable: TLS_ENV[part],
        problem: `is required (${DESCRIPTIONS[part]}; gRPC is served and called over mutual TLS only)`,
      })),
    );
  }
  return readTls({
    ca: source[TLS_ENV.ca] as string,
    cert: source[TLS_ENV.cert] as string,
    key: source[TLS_ENV.key] as string,
  });
}

/** Server credentials that require a client certificate issued by `material.ca`. */
export function serverCredentials(material: TlsMaterial): grpc.ServerCredentials {
  return grpc.ServerCredentials.createSsl(
    material.ca,
    [{ cert_chain: material.cert, private_key: material.key }],
    true,
  );
}

/** Channel credentials presenting `material`'s certificate and checking the server's against its CA. */
export function channelCredentials(material: TlsMaterial): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(material.ca, material.key, material.cert);
}

/** Anything that can tell the peer's certificate: a grpc-js server call or intercepting call. */
export interface HasAuthContext {
  getAuthContext(): { readonly sslPeerCertificate?: { readonly subject?: object } } | null;
}

/** The caller's identity: the Common Name of the client certificate it presented, if any. */
export function identityOf(call: HasAuthContext): string | undefined {
  const subject = call.getAuthContext()?.sslPeerCertificate?.subject as { CN?: unknown } | undefined;
  const cn = subject?.CN;
  return typeof cn === 'string' && cn !== '' ? cn : undefined;
}
