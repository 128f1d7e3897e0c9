/**
 * Every failure this library raises carries a stable `code`, so a service maps it to its transport's
 * status with a lookup rather than a chain of `instanceof` checks (which also break when two copies of
 * the library end up in one bundle). The codes are named after the gRPC status each one should become:
 *
 * | code                | gRPC status        | meaning                                                   |
 * |---------------------|--------------------|-----------------------------------------------------------|
 * | `invalid_argument`  | INVALID_ARGUMENT   | a name, id, key or setting breaks the rules (see `field`) |
 * | `not_found`         | NOT_FOUND          | no such object, or no committed artifact at that prefix   |
 * | `already_exists`    | ALREADY_EXISTS     | a committed artifact is immutable                         |
 * | `data_loss`         | DATA_LOSS          | stored bytes differ from what the manifest promises       |
 * | `permission_denied` | PERMISSION_DENIED  | the object store refused our credentials                  |
 * | `unavailable`       | UNAVAILABLE        | the object store could not be reached                     |
 * | `internal`          | INTERNAL           | any other object-store failure                            |
 */
export type ArtifactErrorCode =
  | 'invalid_argument'
  | 'not_found'
  | 'already_exists'
  | 'data_loss'
  | 'permission_denied'
  | 'unavailable'
  | 'internal';

export const ARTIFACT_ERROR_CODES: readonly ArtifactErrorCode[] = [
  'invalid_argument',
  'not_found',
  'already_exists',
  'data_loss',
  'permission_denied',
  'unavailable',
  'internal',
];

export abstract class ArtifactError extends Error {
  abstract readonly code: ArtifactErrorCode;
}

/** True for any error raised by this library, including one from another copy of it. */
export function isArtifactError(error: unknown): error is ArtifactError {
  if (!(error instanceof Error)) return false;
  const code: unknown = (error as { code?: unknown }).code;
  return typeof code === 'string' && (ARTIFACT_ERROR_CODES as readonly string[]).includes(code);
}

export class InvalidArgumentError extends ArtifactError {
  readonly code = 'invalid_argument';
  constructor(
    /** The offending field, e.g. `runId` or `files[2].name`. */
    readonly field: string,
    readonly value: unknown,
    readonly reason: string,
  ) {
    super(`invalid ${field} ${describeValue(value)}: ${reason}`);
    this.name = 'InvalidArgumentError';
  }
}

export class NotFoundError extends ArtifactError {
  readonly code = 'not_found';
  constructor(
    /** The object key or artifact prefix that was looked for. */
    readonly key: string,
    message = `not found: ${key}`,
  ) {
    super(message);
    this.name = 'NotFoundError';
  }
}

export class AlreadyExistsError extends ArtifactError {
  readonly code = 'already_exists';
  constructor(
    readonly key: string,
    message = `a committed artifact already exists at ${key}; artifacts are immutable`,
  ) {
    super(message);
    this.name = 'AlreadyExistsError';
  }
}

export class DataLossError extends ArtifactError {
  readonly code = 'data_loss';
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
    this.name = 'DataLossError';
  }
}

/** A stored file whose size or SHA-256 differs from its manifest entry. */
export class DigestMismatchError extends DataLossError {
  constructor(
    /** The file's name inside its artifact. */
    readonly file: string,
    key: string,
    readonly expected: { size: number; sha256: string },
    readonly actual: { size: number; sha256: string },
  ) {
    super(
      key,
      `digest mismatch for file "${file}" (${key}): manifest says ${expected.size} bytes sha256 ${expected.sha256}, ` +
        `store holds ${actual.size} bytes sha256 ${actual.sha256}`,
    );
    this.name = 'DigestMismatchError';
  }
}

/** The object store refused or failed a request; `s3Code` keeps the server's own code when it sent one. */
export class ObjectStoreError extends ArtifactError {
  constructor(
    readonly code: 'permission_denied' | 'unavailable' | 'internal',
    readonly operation: string,
    readonly key: string,
    readonly s3Code: string | undefined,
    options: { cause?: unknown; detail: string },
  ) {
    super(`object store ${operation} ${key} failed (${s3Code ?? code}): ${options.detail}`, {
      cause: options.cause,
    });
    this.name = 'ObjectStoreError';
  }
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (value === undefined) return '(missing)';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
