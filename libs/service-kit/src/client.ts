import { randomInt } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { service as healthService, type ServingStatus } from 'grpc-health-check';
import { callContext, RUN_ID_METADATA_KEY } from './call-context';

/*
 * Clients generated from the .proto files. ts-proto writes, for every service, a definition of its methods
 * (name, streaming, idempotency level, and the encoders of their messages); `createServiceClient` turns one
 * into an object with one typed method per RPC. No method name is written by hand anywhere: a renamed or
 * removed RPC is a compile error at every call site. This module imports nothing from NestJS, so the
 * dashboard bundles it too.
 */

/** How every .proto is loaded by the servers. `longs: Number` matches the generated code (`forceLong=number`). */
export const PROTO_LOADER_OPTIONS = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
} as const;

/** Raised explicitly on both client and server instead of grpc's 4 MiB receive default. */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** One method of a generated service definition (`outputServices=generic-definitions`). */
export interface MethodDefinition {
  readonly name: string;
  readonly requestType: {
    encode(message: never): { finish(): Uint8Array };
    fromPartial(object: never): unknown;
  };
  readonly requestStream: boolean;
  readonly responseType: { decode(input: Uint8Array): unknown };
  readonly responseStream: boolean;
  readonly options: { readonly idempotencyLevel?: string };
}

/** A generated service definition, e.g. `TrainerServiceDefinition` from `@slca/contracts/grpc`. */
export interface ServiceDefinition {
  readonly name: string;
  readonly fullName: string;
  readonly methods: { readonly [key: string]: MethodDefinition };
}

/** A request as proto3 sees it: every field may be left out and then has its default. */
export type RequestInit<T> = T extends Uint8Array | string | number | boolean | undefined | null
  ? T
  : T extends ReadonlyArray<infer U>
    ? ReadonlyArray<RequestInit<U>>
    : T extends object
      ? { readonly [K in keyof T]?: RequestInit<T[K]> }
      : T;

type RequestOf<M> = M extends { requestType: { encode(message: infer R, ...rest: never[]): unknown } }
  ? R
  : never;
type ResponseOf<M> = M extends { responseType: { decode(input: never, ...rest: never[]): infer R } }
  ? R
  : never;

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

export interface CallOptions {
  readonly deadlineMs?: number;
  /**
   * Whether the call is retried on UNAVAILABLE. The default is the method's `idempotency_level` in the
   * .proto (NO_SIDE_EFFECTS or IDEMPOTENT: yes); a call whose effect is idempotent only for this request
   * (StartRun naming its run id) says so here.
   */
  readonly idempotent?: boolean;
  readonly retry?: Partial<RetryPolicy>;
  readonly runId?: string;
  readonly metadata?: grpc.Metadata;
  readonly signal?: AbortSignal;
  /** Sees each attempt's outcome; for metrics and tests. */
  readonly onAttempt?: (attempt: number, error?: grpc.ServiceError) => void;
}

export type StreamCallOptions = Pick<CallOptions, 'deadlineMs' | 'runId' | 'metadata' | 'signal'>;

/** The typed function of one RPC, by its streaming shape. */
export type MethodCall<M> = M extends { requestStream: false; responseStream: false }
  ? (request: RequestInit<RequestOf<M>>, options?: CallOptions) => Promise<ResponseOf<M>>
  : M extends { requestStream: false; responseStream: true }
    ? (request: RequestInit<RequestOf<M>>, options?: StreamCallOptions) => AsyncGenerator<ResponseOf<M>>
    : M extends { requestStream: true; responseStream: false }
      ? (
          requests: AsyncIterable<RequestInit<RequestOf<M>>> | Iterable<RequestInit<RequestOf<M>>>,
          options?: StreamCallOptions,
        ) => Promise<ResponseOf<M>>
      : never;

export interface ClientChannel {
  /** `host:port`. */
  readonly address: string;
  /** Fully qualified, e.g. `slca.v1.TrainerService`. */
  readonly serviceName: string;
  /** Resolves once connected; rejects at the deadline. */
  waitForReady(deadlineMs?: number): Promise<void>;
  close(): void;
}

/** A client of one service: a typed method per RPC (`startRun`, `watchRun`, …) and its channel's controls. */
export type ServiceClient<S extends ServiceDefinition> = {
  readonly [K in keyof S['methods']]: MethodCall<S['methods'][K]>;
} & ClientChannel;

export interface ServiceClientOptions {
  /** `host:port`. */
  readonly address: string;
  /** Deadline of a unary or client-streaming call unless the call sets its own; never unbounded by accident. */
  readonly deadlineMs: number;
  /** Deadline of a server stream unless the call sets its own; by default none (streams are watches). */
  readonly streamDeadlineMs?: number;
  readonly retry?: Partial<RetryPolicy>;
  /** Run id sent with every call that names none and is not made while serving a call that carries one. */
  readonly runId?: string;
  readonly maxMessageBytes?: number;
  /** Transport security; plain text when absent. */
  readonly credentials?: grpc.ChannelCredentials;
  readonly channelOptions?: grpc.ChannelOptions;
}

export function isServiceError(error: unknown): error is grpc.ServiceError {
  return (
    error instanceof Error && typeof (error as { code?: unknown }).code === 'number' && 'metadata' in error
  );
}

/**
 * For a TLS channel to a loopback address (`127.0.0.1:port`, `[::1]:port`): check the server's certificate
 * for `localhost` instead of the IP. Every service certificate carries both, so nothing is lost, and Node
 * no longer warns (DEP0123) that a TLS server name is an IP address on every CLI run.
 */
function loopbackServerName(address: string, credentials: grpc.ChannelCredentials): grpc.ChannelOptions {
  const host = address.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  const loopback = /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1';
  return loopback && credentials._isSecure() ? { 'grpc.ssl_target_name_override': 'localhost' } : {};
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

const CHANNEL_MEMBERS = new Set<string>(['address', 'serviceName', 'waitForReady', 'close']);
const IDEMPOTENT_LEVELS = new Set(['NO_SIDE_EFFECTS', 'IDEMPOTENT']);

/** The wire side of one method: its path and how its messages become bytes and back. */
interface WireMethod {
  readonly path: string;
  readonly idempotent: boolean;
  serialize(request: unknown): Buffer;
  deserialize(bytes: Buffer): unknown;
}

function wireMethod(service: ServiceDefinition, method: MethodDefinition): WireMethod {
  const requestType = method.requestType as unknown as {
    encode(message: unknown): { finish(): Uint8Array };
    fromPartial(object: unknown): unknown;
  };
  const responseType = method.responseType;
  return {
    path: `/${service.fullName}/${method.name}`,
    idempotent: IDEMPOTENT_LEVELS.has(method.options.idempotencyLevel ?? ''),
    // `fromPartial` fills what the caller left out with its proto3 default before encoding.
    serialize: (request) => {
      const bytes = requestType.encode(requestType.fromPartial(request)).finish();
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
    deserialize: (bytes) => responseType.decode(bytes),
  };
}

/**
 * One channel to a service, with promise-based unary calls (a deadline on every call, retries for
 * idempotent ones), server streams as async iterators, client streams fed from iterables with
 * backpressure, and the run id in `x-run-id`.
 */
class Channel {
  readonly client: grpc.Client;
  private readonly retry: RetryPolicy;

  constructor(
    readonly serviceName: string,
    private readonly options: ServiceClientOptions,
  ) {
    if (!(options.deadlineMs > 0)) throw new RangeError('deadlineMs must be positive');
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    const maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    const credentials = options.credentials ?? grpc.credentials.createInsecure();
    this.client = new grpc.Client(options.address, credentials, {
      ...loopbackServerName(options.address, credentials),
      'grpc.max_send_message_length': maxBytes,
      'grpc.max_receive_message_length': maxBytes,
      // grpc-js waits 1 s, then longer, before reconnecting; a restarted local service should be found
      // within our own retry budget.
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 2_000,
      ...options.channelOptions,
    });
  }

  async unary(method: WireMethod, request: unknown, options: CallOptions = {}): Promise<unknown> {
    const policy = { ...this.retry, ...options.retry };
    const deadline = Date.now() + (options.deadlineMs ?? this.options.deadlineMs);
    const metadata = this.metadata(options);
    const retryable = options.idempotent ?? method.idempotent;
    for (let attempt = 1; ; attempt++) {
      options.signal?.throwIfAborted();
      try {
        const response = await this.attemptUnary(method, request, metadata, deadline, options.signal);
        options.onAttempt?.(attempt);
        return response;
      } catch (error) {
        if (isServiceError(error)) options.onAttempt?.(attempt, error);
        const again = retryable && isServiceError(error) && error.code === grpc.status.UNAVAILABLE;
        if (!again || attempt >= policy.maxAttempts) throw error;
        const delay = backoffDelayMs(attempt, policy);
        // The deadline covers the whole call, retries included.
        if (Date.now() + delay >= deadline) throw error;
        await sleep(delay, options.signal);
      }
    }
  }

  /** The call starts at the first `next()`; leaving the loop early, or aborting `signal`, cancels it. */
  async *serverStream(
    method: WireMethod,
    request: unknown,
    options: StreamCallOptions = {},
  ): AsyncGenerator<unknown, void, undefined> {
    options.signal?.throwIfAborted();
    const deadlineMs = options.deadlineMs ?? this.options.streamDeadlineMs ?? Infinity;
    const call = this.client.makeServerStreamRequest(
      method.path,
      method.serialize,
      method.deserialize,
      request,
      this.metadata(options),
      Number.isFinite(deadlineMs) ? { deadline: Date.now() + deadlineMs } : {},
    );
    const cancel = () => call.cancel();
    options.signal?.addEventListener('abort', cancel, { once: true });
    try {
      for await (const message of call) yield message;
    } finally {
      options.signal?.removeEventListener('abort', cancel);
      call.cancel();
    }
  }

  /** Writes every request (waiting whenever the transport asks to), then resolves with the one answer. */
  async clientStream(
    method: WireMethod,
    requests: AsyncIterable<unknown> | Iterable<unknown>,
    options: StreamCallOptions = {},
  ): Promise<unknown> {
    options.signal?.throwIfAborted();
    const deadline = Date.now() + (options.deadlineMs ?? this.options.deadlineMs);
    let settle!: { resolve: (value: unknown) => void; reject: (error: unknown) => void };
    const answer = new Promise<unknown>((resolve, reject) => (settle = { resolve, reject }));
    const call = this.client.makeClientStreamRequest(
      method.path,
      method.serialize,
      method.deserialize,
      this.metadata(options),
      { deadline },
      (error, response) => (error ? settle.reject(error) : settle.resolve(response)),
    );
    const cancel = () => call.cancel();
    options.signal?.addEventListener('abort', cancel, { once: true });
    // The server may answer (e.g. refuse the header) before every chunk is written: stop writing then.
    let answered = false;
    const done = answer.finally(() => (answered = true));
    done.catch(() => undefined);
    try {
      for await (const request of requests) {
        if (answered) break;
        if (!call.write(request))
          await Promise.race([new Promise((drained) => call.once('drain', drained)), done]);
      }
      call.end();
    } catch (error) {
      call.cancel();
      throw error;
    } finally {
      options.signal?.removeEventListener('abort', cancel);
    }
    return answer;
  }

  waitForReady(deadlineMs: number = this.options.deadlineMs): Promise<void> {
    return new Promise((resolve, reject) =>
      this.client.waitForReady(Date.now() + deadlineMs, (error) => (error ? reject(error) : resolve())),
    );
  }

  private metadata(options: Pick<CallOptions, 'metadata' | 'runId'>): grpc.Metadata {
    const metadata = options.metadata?.clone() ?? new grpc.Metadata();
    const runId = options.runId ?? callContext.getStore()?.runId ?? this.options.runId;
    if (runId && metadata.get(RUN_ID_METADATA_KEY).length === 0) metadata.set(RUN_ID_METADATA_KEY, runId);
    return metadata;
  }

  private attemptUnary(
    method: WireMethod,
    request: unknown,
    metadata: grpc.Metadata,
    deadline: number,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const call = this.client.makeUnaryRequest(
        method.path,
        method.serialize,
        method.deserialize,
        request,
        metadata.clone(),
        { deadline },
        (error, response) => {
          signal?.removeEventListener('abort', cancel);
          if (error) reject(error);
          else resolve(response);
        },
      );
      const cancel = () => call.cancel();
      signal?.addEventListener('abort', cancel, { once: true });
    });
  }
}

/** A typed client of the service `definition` describes. */
export function createServiceClient<S extends ServiceDefinition>(
  definition: S,
  options: ServiceClientOptions,
): ServiceClient<S> {
  const channel = new Channel(definition.fullName, options);
  const client: Record<string, unknown> = {
    address: options.address,
    serviceName: definition.fullName,
    waitForReady: (deadlineMs?: number) => channel.waitForReady(deadlineMs),
    close: () => channel.client.close(),
  };
  for (const [key, method] of Object.entries(definition.methods)) {
    if (CHANNEL_MEMBERS.has(key))
      throw new Error(`${definition.fullName}.${method.name} shadows client.${key}`);
    const wire = wireMethod(definition, method);
    if (method.requestStream && method.responseStream)
      throw new Error(`${definition.fullName}.${method.name}: bidirectional streams are not supported`);
    client[key] = method.requestStream
      ? (requests: AsyncIterable<unknown> | Iterable<unknown>, o?: StreamCallOptions) =>
          channel.clientStream(wire, requests, o)
      : method.responseStream
        ? (request: unknown, o?: StreamCallOptions) => channel.serverStream(wire, request, o)
        : (request: unknown, o?: CallOptions) => channel.unary(wire, request, o);
  }
  return client as ServiceClient<S>;
}

/**
 * Asks a server's `grpc.health.v1.Health/Check` about one service (`''` for the whole server). A status
 * other than SERVING is returned, not thrown; transport failures and NOT_FOUND are thrown.
 */
export async function checkHealth(
  address: string,
  service = '',
  deadlineMs = 2_000,
  credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
): Promise<ServingStatus> {
  const client = new grpc.Client(address, credentials, loopbackServerName(address, credentials));
  const check = healthService.Check;
  try {
    return await new Promise<ServingStatus>((resolve, reject) =>
      client.makeUnaryRequest(
        check.path,
        check.requestSerialize,
        check.responseDeserialize,
        { service },
        new grpc.Metadata(),
        { deadline: Date.now() + deadlineMs },
        (error, response) =>
          error ? reject(error) : resolve((response as { status: ServingStatus }).status),
      ),
    );
  } finally {
    client.close();
  }
}
