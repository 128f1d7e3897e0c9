import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import {
  type CallHandler,
  type ExecutionContext,
  type LoggerService,
  type NestInterceptor,
} from '@nestjs/common';
import { tap, type Observable } from 'rxjs';
import { REDACTED } from './config';
import { callContext, RUN_ID_METADATA_KEY, type CallContext } from './call-context';
import { callPath, toGrpcStatus } from './errors';

export { callContext, RUN_ID_METADATA_KEY, type CallContext };

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  readonly service: string;
  readonly level?: LogLevel;
  /** Values scrubbed from every line wherever they appear (pass `secretValues(config)`). */
  readonly secrets?: readonly string[];
  /** Where lines go; defaults to stdout, one JSON object per line. */
  readonly write?: (line: string) => void;
}

const SECRET_KEY = /(secret|password|passwd|token|credential|authorization|api[-_]?key|access[-_]?key)/i;

function serialize(value: unknown, seen: WeakSet<object>): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return {
      name: value.name,
      message: value.message,
      ...(code !== undefined ? { code } : {}),
      stack: value.stack,
    };
  }
  if (value instanceof URL) return value.href;
  if (typeof value === 'bigint') return value.toString();
  if (value && typeof value === 'object') {
    if (seen.has(value)) return '[circular]';
    // A loaded configuration describes itself with its secrets redacted.
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return serialize(toJSON.call(value), seen);
    seen.add(value);
    if (Array.isArray(value)) return value.map((v) => serialize(v, seen));
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) ? REDACTED : serialize(v, seen)]),
    );
  }
  return value;
}

class JsonLogger implements Logger {
  private readonly threshold: number;
  private readonly secrets: readonly string[];

  constructor(
    private readonly options: LoggerOptions,
    private readonly bound: LogFields = {},
  ) {
    this.threshold = LEVEL_ORDER[options.level ?? 'info'];
    // Longest first, so a secret that contains another is scrubbed whole.
    this.secrets = [...(options.secrets ?? [])]
      .filter((s) => s.length > 0)
      .sort((a, b) => b.length - a.length);
  }

  debug(message: string, fields?: LogFields) {
    this.emit('debug', message, fields);
  }
  info(message: string, fields?: LogFields) {
    this.emit('info', message, fields);
  }
  warn(message: string, fields?: LogFields) {
    this.emit('warn', message, fields);
  }
  error(message: string, fields?: LogFields) {
    this.emit('error', message, fields);
  }

  child(fields: LogFields): Logger {
    return new JsonLogger(this.options, { ...this.bound, ...fields });
  }

  private emit(level: LogLevel, message: string, fields?: LogFields) {
    if (LEVEL_ORDER[level] < this.threshold) return;
    const context = callContext.getStore();
    const record = {
      time: new Date().toISOString(),
      level,
      service: this.options.service,
      ...(context?.runId ? { runId: context.runId } : {}),
      ...(context?.method ? { method: context.method } : {}),
      msg: message,
      ...(serialize({ ...this.bound, ...fields }, new WeakSet()) as LogFields),
    };
    let line = JSON.stringify(record);
    for (const secret of this.secrets) line = line.split(jsonEscaped(secret)).join(REDACTED);
    (this.options.write ?? ((l: string) => process.stdout.write(`${l}\n`)))(line);
  }
}

/** A secret is matched as it appears inside a JSON string. */
function jsonEscaped(secret: string): string {
  return JSON.stringify(secret).slice(1, -1);
}

export function createLogger(options: LoggerOptions): Logger {
  return new JsonLogger(options);
}

/** Routes Nest's own messages (module init, exceptions) through the same one-line JSON format. */
export class NestJsonLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...rest: unknown[]) {
    this.logger.info(text(message), nestFields(rest));
  }
  error(message: unknown, ...rest: unknown[]) {
    this.logger.error(text(message), nestFields(rest));
  }
  warn(message: unknown, ...rest: unknown[]) {
    this.logger.warn(text(message), nestFields(rest));
  }
  debug(message: unknown, ...rest: unknown[]) {
    this.logger.debug(text(message), nestFields(rest));
  }
  verbose(message: unknown, ...rest: unknown[]) {
    this.logger.debug(text(message), nestFields(rest));
  }
}

function text(message: unknown): string {
  if (message instanceof Error) return message.message;
  return typeof message === 'string' ? message : JSON.stringify(serialize(message, new WeakSet()));
}

/** Nest passes an optional stack and, last, the context (class name) as plain strings. */
function nestFields(rest: unknown[]): LogFields {
  if (rest.length === 0) return {};
  const context = typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
  const extra = context === undefined ? rest : rest.slice(0, -1);
  return { ...(context ? { context } : {}), ...(extra.length > 0 ? { detail: extra } : {}) };
}

/** The run id a caller put in the call's metadata, if any. */
export function runIdOf(metadata: Metadata | undefined): string | undefined {
  const value = metadata?.get(RUN_ID_METADATA_KEY)[0];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/**
 * Puts the call's run id and method in {@link callContext} for the handler and everything it calls, and
 * writes one line per finished call with its status and duration.
 */
export class GrpcCallInterceptor implements NestInterceptor {
  constructor(private readonly logger: Logger) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'rpc') return next.handle();
    const metadata = context.switchToRpc().getContext<Metadata>();
    const method =
      callPath(context.getArgByIndex(2)) ?? `${context.getClass().name}.${context.getHandler().name}`;
    const store: CallContext = {
      runId: runIdOf(metadata instanceof Metadata ? metadata : undefined),
      method,
    };
    const started = performance.now();
    const finish = (code: number) =>
      callContext.run(store, () =>
        this.logger.info('call finished', {
          grpcCode: GrpcStatus[code] ?? code,
          durationMs: Math.round(performance.now() - started),
        }),
      );
    return callContext
      .run(store, () => next.handle())
      .pipe(
        tap({
          complete: () => finish(GrpcStatus.OK),
          error: (error: unknown) => finish(toGrpcStatus(error).code),
          unsubscribe: () => finish(GrpcStatus.CANCELLED),
        }),
      );
  }
}
