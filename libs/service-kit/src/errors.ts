import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { Catch, HttpException, type ArgumentsHost, type RpcExceptionFilter } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { throwError, type Observable } from 'rxjs';
import type { Logger } from './logging';

/** Trailer naming the request field an INVALID_ARGUMENT is about, for clients that act on it. */
export const INVALID_FIELD_METADATA_KEY = 'x-invalid-field';

/** What grpc-js sends for a failed call: `code`, `details`, optional trailers. */
export interface GrpcErrorStatus {
  readonly code: GrpcStatus;
  readonly details: string;
  readonly metadata?: Metadata;
}

function rpcError(code: GrpcStatus, details: string, metadata?: Metadata): RpcException {
  // `details` (not `message`) is what grpc-js reads first; `message` keeps Nest's default filter useful.
  return new RpcException({ code, details, message: details, ...(metadata ? { metadata } : {}) });
}

/** INVALID_ARGUMENT whose details start with the field name, plus an {@link INVALID_FIELD_METADATA_KEY} trailer. */
export function invalidArgument(field: string, message: string): RpcException {
  const trailers = new Metadata();
  trailers.set(INVALID_FIELD_METADATA_KEY, field);
  return rpcError(GrpcStatus.INVALID_ARGUMENT, `${field}: ${message}`, trailers);
}

export const notFound = (message: string) => rpcError(GrpcStatus.NOT_FOUND, message);
export const alreadyExists = (message: string) => rpcError(GrpcStatus.ALREADY_EXISTS, message);
export const failedPrecondition = (message: string) => rpcError(GrpcStatus.FAILED_PRECONDITION, message);
/** For a digest mismatch or a truncated artifact: the stored bytes are not what was promised. */
export const dataLoss = (message: string) => rpcError(GrpcStatus.DATA_LOSS, message);
export const unavailable = (message: string) => rpcError(GrpcStatus.UNAVAILABLE, message);
export const permissionDenied = (message: string) => rpcError(GrpcStatus.PERMISSION_DENIED, message);

/**
 * The string codes the platform's libraries put on their errors (`error.code`), so they need no
 * dependency on gRPC to surface with the right status.
 */
export const LIBRARY_ERROR_CODES: Readonly<Record<string, GrpcStatus>> = {
  invalid_argument: GrpcStatus.INVALID_ARGUMENT,
  not_found: GrpcStatus.NOT_FOUND,
  already_exists: GrpcStatus.ALREADY_EXISTS,
  failed_precondition: GrpcStatus.FAILED_PRECONDITION,
  data_loss: GrpcStatus.DATA_LOSS,
  unavailable: GrpcStatus.UNAVAILABLE,
  cancelled: GrpcStatus.CANCELLED,
  deadline_exceeded: GrpcStatus.DEADLINE_EXCEEDED,
  resource_exhausted: GrpcStatus.RESOURCE_EXHAUSTED,
  permission_denied: GrpcStatus.PERMISSION_DENIED,
};

const HTTP_TO_GRPC: Readonly<Record<number, GrpcStatus>> = {
  400: GrpcStatus.INVALID_ARGUMENT,
  401: GrpcStatus.UNAUTHENTICATED,
  403: GrpcStatus.PERMISSION_DENIED,
  404: GrpcStatus.NOT_FOUND,
  409: GrpcStatus.ALREADY_EXISTS,
  412: GrpcStatus.FAILED_PRECONDITION,
  429: GrpcStatus.RESOURCE_EXHAUSTED,
  503: GrpcStatus.UNAVAILABLE,
};

const INTERNAL_DETAILS = 'internal error';

function isValidStatus(code: unknown): code is GrpcStatus {
  return typeof code === 'number' && Number.isInteger(code) && code >= 0 && code <= 16;
}

/**
 * The status a thrown value should reach the client with. Unknown errors become INTERNAL with a fixed
 * message: their text may hold paths, keys or secrets, so it goes to the log, not over the wire. A
 * numeric `code` on a plain error (say, a status from a downstream call) is not passed through either:
 * forwarding a dependency's UNAVAILABLE would make our callers retry a call that is not theirs to retry.
 */
export function toGrpcStatus(error: unknown): GrpcErrorStatus {
  if (error instanceof RpcException) {
    const payload = error.getError();
    if (payload && typeof payload === 'object') {
      const { code, details, message, metadata } = payload as Record<string, unknown>;
      if (isValidStatus(code)) {
        const text = typeof details === 'string' ? details : typeof message === 'string' ? message : '';
        return { code, details: text, ...(metadata instanceof Metadata ? { metadata } : {}) };
      }
    }
    return { code: GrpcStatus.UNKNOWN, details: typeof payload === 'string' ? payload : error.message };
  }
  if (error instanceof HttpException) {
    return { code: HTTP_TO_GRPC[error.getStatus()] ?? GrpcStatus.INTERNAL, details: error.message };
  }
  if (error && typeof error === 'object') {
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && code in LIBRARY_ERROR_CODES) {
      return { code: LIBRARY_ERROR_CODES[code], details: typeof message === 'string' ? message : code };
    }
  }
  return { code: GrpcStatus.INTERNAL, details: INTERNAL_DETAILS };
}

/** Anything thrown by a handler leaves as a proper gRPC status; unexpected errors are logged. */
@Catch()
export class GrpcExceptionFilter implements RpcExceptionFilter<unknown> {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): Observable<never> {
    const status = toGrpcStatus(exception);
    const method = host.getType() === 'rpc' ? callPath(host.getArgByIndex(2)) : undefined;
    if (status.code === GrpcStatus.INTERNAL || status.code === GrpcStatus.UNKNOWN) {
      this.logger.error('call failed with an unexpected error', { grpcMethod: method, error: exception });
    }
    return throwError(() => status);
  }
}

/** The full method path (`/pkg.Service/Method`) of a grpc-js server call, when it is one. */
export function callPath(call: unknown): string | undefined {
  const getPath = (call as { getPath?: unknown } | undefined)?.getPath;
  return typeof getPath === 'function' ? (getPath.call(call) as string) : undefined;
}
