// tsyringe, under @peculiar/x509, needs the Reflect metadata API before the library loads.
import 'reflect-metadata';
import { X509Certificate as NodeX509Certificate, webcrypto } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import * as x509 from '@peculiar/x509';
import { channelCredentials, readTls, TLS_ENV, type TlsMaterial } from './credentials';
import { IDENTITIES, isServiceIdentity, type Identity } from './identities';

/*
 * The platform's private certificate authority: one EC P-256 CA and a certificate per identity, as PEM
 * files in one folder (`ca.pem`, `ca.key`, `<identity>.pem`, `<identity>.key`; keys mode 0600). Made once
 * and reused; a missing or soon-expiring certificate is issued again by the same CA. Nothing here logs.
 */

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as never);

const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;
const CA_VALIDITY_DAYS = 3_650;
const LEAF_VALIDITY_DAYS = 825;
/** A certificate with less left than this is issued again when the folder is reused. */
const RENEW_BEFORE_DAYS = 30;

export const CA_CERT_FILE = 'ca.pem';
export const CA_KEY_FILE = 'ca.key';
export const certFile = (identity: Identity): string => `${identity}.pem`;
export const keyFile = (identity: Identity): string => `${identity}.key`;

export interface CertificateOptions {
  /** Kubernetes namespace whose service DNS names the service certificates carry; default `slca`. */
  readonly namespace?: string;
  /** More DNS names or IP addresses every service certificate carries (e.g. an ingress name). */
  readonly extraHosts?: readonly string[];
  /** Identities to issue; default all of {@link IDENTITIES}. */
  readonly identities?: readonly Identity[];
}

/** The file paths of one identity's material, as the SLCA_TLS_* variables take them. */
export interface TlsFiles {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

export function tlsFilesOf(dir: string, identity: Identity): TlsFiles {
  return {
    ca: join(dir, CA_CERT_FILE),
    cert: join(dir, certFile(identity)),
    key: join(dir, keyFile(identity)),
  };
}

/** The DNS names and addresses a service's certificate is valid for: loopback and its Kubernetes names. */
export function serviceHosts(
  service: string,
  options: Pick<CertificateOptions, 'namespace' | 'extraHosts'> = {},
) {
  const namespace = options.namespace ?? 'slca';
  return [
    'localhost',
    '127.0.0.1',
    '::1',
    service,
    `${service}.${namespace}`,
    `${service}.${namespace}.svc`,
    `${service}.${namespace}.svc.cluster.local`,
    ...(options.extraHosts ?? []),
  ];
}

const isIp = (host: string) => /^[\d.]+$/.test(host) || host.includes(':');

async function pkcs8Pem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key as webcrypto.CryptoKey);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

function generateKeys(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

async function importSigningKey(pem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decodeFirst(pem);
  return webcrypto.subtle.importKey('pkcs8', der, KEY_ALGORITHM, false, ['sign']) as Promise<CryptoKey>;
}

/** Writes through a temporary name, so a reader never sees half a file; keys are 0600 from the start. */
function writeAtomically(path: string, text: string, mode: number): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text, { mode });
  chmodSync(temporary, mode);
  renameSync(temporary, path);
}

function stillValid(path: string): boolean {
  if (!existsSync(path)) return false;
  try {
    const cert = new NodeX509Certificate(readFileSync(path));
    return new Date(cert.validTo).getTime() - Date.now() > RENEW_BEFORE_DAYS * DAY_MS;
  } catch {
    return false;
  }
}

interface Authority {
  readonly cert: x509.X509Certificate;
  readonly key: CryptoKey;
}

async function loadOrMakeAuthority(dir: string): Promise<{ authority: Authority; made: boolean }> {
  const certPath = join(dir, CA_CERT_FILE);
  const keyPath = join(dir, CA_KEY_FILE);
  if (existsSync(certPath) && existsSync(keyPath) && stillValid(certPath)) {
    return {
      authority: {
        cert: new x509.X509Certificate(readFileSync(certPath, 'utf8')),
        key: await importSigningKey(readFileSync(keyPath, 'utf8')),
      },
      made: false,
    };
  }
  const keys = await generateKeys();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=SLCA Lab private CA, O=slca',
    keys,
    serialNumber: randomSerial(),
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + CA_VALIDITY_DAYS * DAY_MS),
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  writeAtomically(keyPath, await pkcs8Pem(keys.privateKey), 0o600);
  writeAtomically(certPath, cert.toString('pem'), 0o644);
  return { authority: { cert, key: keys.privateKey }, made: true };
}

function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] &= 0x7f; // positive
  return Buffer.from(bytes).toString('hex');
}

async function issue(authority: Authority, identity: Identity, options: CertificateOptions) {
  const keys = await generateKeys();
  const now = Date.now();
  const service = isServiceIdentity(identity);
  const hosts = service ? serviceHosts(identity, options) : [];
  const cert = await x509.X509CertificateGenerator.create({
    subject: `CN=${identity}, O=slca`,
    issuer: authority.cert.subject,
    publicKey: keys.publicKey,
    signingKey: authority.key,
    serialNumber: randomSerial(),
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + LEAF_VALIDITY_DAYS * DAY_MS),
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      // A service serves and calls its peers with the same certificate; a client only calls.
      new x509.ExtendedKeyUsageExtension(
        service
          ? [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]
          : [x509.ExtendedKeyUsage.clientAuth],
        false,
      ),
      ...(hosts.length > 0
        ? [
            new x509.SubjectAlternativeNameExtension(
              hosts.map((host) => ({ type: isIp(host) ? ('ip' as const) : ('dns' as const), value: host })),
              false,
            ),
          ]
        : []),
      await x509.AuthorityKeyIdentifierExtension.create(authority.cert, false),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem'), key: await pkcs8Pem(keys.privateKey) };
}

export interface CertificateFolder {
  readonly dir: string;
  /** Identities whose certificate was issued by this call (the rest were reused). */
  readonly issued: readonly Identity[];
  files(identity: Identity): TlsFiles;
  /** The PEM bytes of one identity, for a server's `tls` option or a client's credentials. */
  material(identity: Identity): TlsMaterial;
  /** Client credentials of one identity. */
  credentials(identity: Identity): grpc.ChannelCredentials;
  /** The SLCA_TLS_* variables of one identity, for a process started with them. */
  env(identity: Identity): Record<string, string>;
}

/** The certificate folder `dir` holds (made earlier by {@link ensureCertificates}). */
export function certificateFolder(dir: string, issued: readonly Identity[] = []): CertificateFolder {
  const files = (identity: Identity) => tlsFilesOf(dir, identity);
  const material = (identity: Identity) => readTls(files(identity));
  return {
    dir,
    issued,
    files,
    material,
    credentials: (identity) => channelCredentials(material(identity)),
    env: (identity) => {
      const paths = files(identity);
      return { [TLS_ENV.ca]: paths.ca, [TLS_ENV.cert]: paths.cert, [TLS_ENV.key]: paths.key };
    },
  };
}

/**
 * Makes the CA and every identity's certificate in `dir`, or reuses what is there. A new CA reissues every
 * certificate (the old ones would not be trusted); otherwise only missing or expiring ones are issued.
 */
export async function ensureCertificates(
  dir: string,
  options: CertificateOptions = {},
): Promise<CertificateFolder> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { authority, made } = await loadOrMakeAuthority(dir);
  const issued: Identity[] = [];
  for (const identity of options.identities ?? IDENTITIES) {
    const files = tlsFilesOf(dir, identity);
    if (!made && existsSync(files.key) && stillValid(files.cert) && issuedBy(files.cert, files.ca)) continue;
    const material = await issue(authority, identity, options);
    writeAtomically(files.key, material.key, 0o600);
    writeAtomically(files.cert, material.cert, 0o644);
    issued.push(identity);
  }
  return certificateFolder(dir, issued);
}

function issuedBy(certPath: string, caPath: string): boolean {
  try {
    const ca = new NodeX509Certificate(readFileSync(caPath));
    return new NodeX509Certificate(readFileSync(certPath)).verify(ca.publicKey);
  } catch {
    return false;
  }
}
