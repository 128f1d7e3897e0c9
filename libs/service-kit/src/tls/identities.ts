/*
 * Who may hold a certificate of the platform's private CA. A caller's identity is the Common Name of the
 * certificate it presented (see `identityOf` in ./credentials): Node's TLS hands the subject over parsed
 * (`subject.CN`), while a SAN URI would have to be picked out of the `subjectaltname` text. Since the
 * services trust that one CA and nothing else, a CN cannot be claimed by a certificate from elsewhere.
 */

/** The four gRPC services: each serves with its certificate and calls its peers with the same one. */
export const SERVICE_IDENTITIES = ['splitter', 'trainer', 'stats-store', 'evaluator'] as const;

/**
 * Callers that serve nothing: the dashboard's server side, the user's CLI, the operator (imports from
 * paths on the splitter's host, registers backbones from paths), and a run's Kubernetes Job.
 */
export const CLIENT_IDENTITIES = ['dashboard', 'cli', 'operator', 'job'] as const;

export const IDENTITIES = [...SERVICE_IDENTITIES, ...CLIENT_IDENTITIES] as const;

export type ServiceIdentity = (typeof SERVICE_IDENTITIES)[number];
export type ClientIdentity = (typeof CLIENT_IDENTITIES)[number];
export type Identity = (typeof IDENTITIES)[number];

export function isIdentity(name: string): name is Identity {
  return (IDENTITIES as readonly string[]).includes(name);
}

export function isServiceIdentity(name: string): name is ServiceIdentity {
  return (SERVICE_IDENTITIES as readonly string[]).includes(name);
}
