import { randomInt } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath, type ServingStatus } from 'grpc-health-check';
import { callContext, RUN_ID_METADATA_KEY } from './logging';

/**
 * How every .proto is loaded, on both sides of a call. `longs: Number` matches the contracts' ts-proto
 * output (`forceLong=number`): int64 fields here are sizes and millisecond timestamps, far below 2^53, so a
 * string would only push parsing onto every caller.
 */
export const PROTO_LOADER_OPTIONS = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
} as const satisfies protoLoader.Options;

/** Raised explicitly on both client and server instead of grpc's 4 MiB receive default. */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly multiplier: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  initialBackoffMs: 100,
  maxBackoffMs: 2_000,
  multiplier: 2,
};

export interface GrpcClientOptions {
  readonly protoPath: string | readonly string[];
  readonly includeDirs?: readonly string[];
  /** Fully qualified, e.g. `slca.v1.Trainer`. */
  readonly service: string;
  /** `host:port`. */
  readonly address: string;
  /** Deadline of a unary call unless the call sets its own; required so none is ever unbounded by accident. */
  readonly deadlineMs: number;
  /** Deadline of a server stream unless the call sets its own (`Infinity` only when asked for). */
  readonly streamDeadlineMs?: number;
  readonly retry?: Partial<RetryPolicy>;
  /** Run id sent with every call that names none and is not made while serving a call that carries one. */
  readonly runId?: string;
  readonly maxMessageBytes?: number;
  readonly channelOptions?: grpc.ChannelOptions;
}

export interface CallOptions {
  readonly deadlineMs?: number;
  /** Only idempotent calls are retried, and only on UNAVAILABLE. */
  readonly idempotent?: boolean;
  readonly retry?: Partial<RetryPolicy>;
  readonly runId?: string;
  readonly metadata?: grpc.Metadata;
  readonly signal?: AbortSignal;
  /** Sees each attempt's outcome; for metrics and tests. */
  readonly onAttempt?: (attempt: number, error?: grpc.ServiceError) => void;
}

export function isServiceError(error: unknown): error is grpc.ServiceError {
  return (
    error instanceof Error && typeof (error as { code?: unknown }).code === 'number' && 'metadata' in error
  );
}

/** Delay before retry number `attempt` (1-based): exponential, capped, with jitter over its upper half. */
export function backoffDelayMs(attempt: number, policy: RetryPolicy): number {
  const ceiling = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * policy.multiplier ** (attempt - 1));
  const half = Math.floor(ceiling / 2);
  return half + randomInt(0, ceiling - half + 1);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', aborted);
      resolve();
    }
    function aborted() {
      clearTimeout(timer);
      reject(signal?.reason ?? new Error('aborted'));
    }
    signal?.addEventListener('abort', aborted, { once: true });
  });
}

function loadDefinition(protoPath: string | readonly string[], includeDirs?: readonly string[]) {
  return protoLoader.loadSync(typeof protoPath === 'string' ? protoPath : [...protoPath], {
    ...PROTO_LOADER_OPTIONS,
    ...(includeDirs ? { includeDirs: [...includeDirs] } : {}),
  });
}

/**
 * A client for one service of a .proto: promise-based unary calls with a deadline on every call and
 * retries for idempotent ones, server streams as async iterators, and the run id in `x-run-id`.
 */
export class GrpcClient {
  private readonly client: grpc.Client;
  private readonly methods: Map<string, protoLoader.MethodDefinition<object, object>>;
  private readonly retry: RetryPolicy;

  constructor(private readonly options: GrpcClientOptions) {
    if (!(options.deadlineMs > 0)) throw new RangeError('deadlineMs must be positive');
    const definition = loadDefinition(options.protoPath, options.includeDirs);
    const service = definition[options.service];
    if (!service || 'format' in service)
      throw new Error(`no service ${options.service} in ${options.protoPath}`);
    this.methods = new Map();
    for (const [name, method] of Object.entries(service as protoLoader.ServiceDefinition)) {
      this.methods.set(name, method);
      this.methods.set(method.originalName ?? name, method);
    }
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    const maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.client = new grpc.Client(options.address, grpc.credentials.createInsecure(), {
      'grpc.max_send_message_length': maxBytes,
      'grpc.max_receive_message_length': maxBytes,
      // grpc-js waits 1 s, then longer, before reconnecting; a restarted local service should be found
      // within our own retry budget.
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 2_000,
      ...options.channelOptions,
    });
  }

  get address(): string {
    return this.options.address;
  }

  async unary<Req extends object, Res extends object>(
    method: string,
    request: Req,
    options: CallOptions = {},
  ): Promise<Res> {
    const definition = this.method(method, 'unary');
    const policy = { ...this.retry, ...options.retry };
    const deadline = Date.now() + (options.deadlineMs ?? this.options.deadlineMs);
    const metadata = this.metadata(options);
    for (let attempt = 1; ; attempt++) {
      options.signal?.throwIfAborted();
      try {
        const response = await this.attemptUnary<Res>(
          definition,
          request,
          metadata,
          deadline,
          options.signal,
        );
        options.onAttempt?.(attempt);
        return response;
      } catch (error) {
        if (isServiceError(error)) options.onAttempt?.(attempt, error);
        const retryable =
          options.idempotent === true && isServiceError(error) && error.code === grpc.status.UNAVAILABLE;
        if (!retryable || attempt >= policy.maxAttempts) throw error;
        const delay = backoffDelayMs(attempt, policy);
        // The deadline covers the whole call, retries included.
        if (Date.now() + delay >= deadline) throw error;
        await sleep(delay, options.signal);
      }
    }
  }

  /**
   * The messages of a server-streaming call. The call starts at the first `next()`; leaving the loop
   * early, or aborting `signal`, cancels it on the server.
   */
  async *stream<Req extends object, Res extends object>(
    method: string,
    request: Req,
    options: Omit<CallOptions, 'idempotent' | 'retry' | 'onAttempt'> = {},
  ): AsyncGenerator<Res, void, undefined> {
    const definition = this.method(method, 'server-stream');
    options.signal?.throwIfAborted();
    const deadlineMs = options.deadlineMs ?? this.options.streamDeadlineMs ?? this.options.deadlineMs;
    const call = this.client.makeServerStreamRequest(
      definition.path,
      definition.requestSerialize,
      definition.responseDeserialize,
      request,
      this.metadata(options),
      Number.isFinite(deadlineMs) ? { deadline: Date.now() + deadlineMs } : {},
    );
    const cancel = () => call.cancel();
    options.signal?.addEventListener('abort', cancel, { once: true });
    try {
      for await (const message of call) yield message as Res;
    } finally {
      options.signal?.removeEventListener('abort', cancel);
      call.cancel();
    }
  }

  /** Resolves once connected; rejects at the deadline. */
  waitForReady(deadlineMs: number = this.options.deadlineMs): Promise<void> {
    return new Promise((resolve, reject) =>
      this.client.waitForReady(Date.now() + deadlineMs, (error) => (error ? reject(error) : resolve())),
    );
  }

  close(): void {
    this.client.close();
  }

  private method(name: string, kind: 'unary' | 'server-stream') {
    const definition = this.methods.get(name);
    if (!definition) throw new Error(`${this.options.service} has no method ${name}`);
    const isKind = kind === 'unary' ? !definition.responseStream : definition.responseStream;
    if (definition.requestStream || !isKind)
      throw new Error(`${this.options.service}.${name} is not ${kind}`);
    return definition;
  }

  private metadata(options: Pick<CallOptions, 'metadata' | 'runId'>): grpc.Metadata {
    const metadata = options.metadata?.clone() ?? new grpc.Metadata();
    const runId = options.runId ?? callContext.getStore()?.runId ?? this.options.runId;
    if (runId && metadata.get(RUN_ID_METADATA_KEY).length === 0) metadata.set(RUN_ID_METADATA_KEY, runId);
    return metadata;
  }

  private attemptUnary<Res>(
    definition: protoLoader.MethodDefinition<object, object>,
    request: object,
    metadata: grpc.Metadata,
    deadline: number,
    signal: AbortSignal | undefined,
  ): Promise<Res> {
    return new Promise((resolve, reject) => {
      const call = this.client.makeUnaryRequest(
        definition.path,
        definition.requestSerialize,
        definition.responseDeserialize,
        request,
        metadata.clone(),
        { deadline },
        (error, response) => {
          signal?.removeEventListener('abort', cancel);
          if (error) reject(error);
          else resolve(response as Res);
        },
      );
      const cancel = () => call.cancel();
      signal?.addEventListener('abort', cancel, { once: true });
    });
  }
}

export function createGrpcClient(options: GrpcClientOptions): GrpcClient {
  return new GrpcClient(options);
}

/**
 * Asks a server's `grpc.health.v1.Health/Check` about one service (`''` for the whole server). A status
 * other than SERVING is returned, not thrown; transport failures and NOT_FOUND are thrown.
 */
export async function checkHealth(address: string, service = '', deadlineMs = 2_000): Promise<ServingStatus> {
  const client = new GrpcClient({
    protoPath: healthProtoPath,
    service: 'grpc.health.v1.Health',
    address,
    deadlineMs,
  });
  try {
    const response = await client.unary<{ service: string }, { status: ServingStatus }>('Check', { service });
    return response.status;
  } finally {
    client.close();
  }
}
