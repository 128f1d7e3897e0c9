import { setTimeout as sleep } from 'node:timers/promises';
import type { Metadata } from '@grpc/grpc-js';
import { loadSync, type ServiceDefinition } from '@grpc/proto-loader';
import { Controller, Inject, Module, type DynamicModule } from '@nestjs/common';
import { GrpcMethod, GrpcStreamCall } from '@nestjs/microservices';
import { finalize, interval, map, take, tap, type Observable } from 'rxjs';
import {
  alreadyExists,
  callContext,
  dataLoss,
  failedPrecondition,
  invalidArgument,
  notFound,
  runIdOf,
  SERVICE_LOGGER,
  SHUTDOWN_HOOKS,
  toGrpcStatus,
  unavailable,
  type Logger,
  type ShutdownHooks,
  PROTO_LOADER_OPTIONS,
  methodPath,
  type MethodRule,
} from '../src/index';

export const ECHO_PROTO = `${__dirname}/echo.proto`;
export const ECHO_PACKAGE = 'slca.test.v1';
export const ECHO_SERVICE = 'slca.test.v1.Echo';

/** What the handlers saw, for the tests to assert on. */
export class Probe {
  readonly events: string[] = [];
  emitted = 0;
  streamsFinalized = 0;
}
const PROBE = Symbol('probe');

export interface EchoRequest {
  text: string;
  payload: Buffer;
}
export interface EchoReply {
  text: string;
  runId: string;
  payloadBytes: number;
  loggedRunId: string;
}

@Controller()
class EchoController {
  constructor(
    @Inject(PROBE) private readonly probe: Probe,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    @Inject(SHUTDOWN_HOOKS) hooks: ShutdownHooks,
  ) {
    hooks.register(() => probe.events.push('provider hook ran'));
  }

  @GrpcMethod('Echo', 'Echo')
  echo(request: EchoRequest, metadata: Metadata): EchoReply {
    this.logger.info('echo handled');
    return {
      text: request.text,
      runId: runIdOf(metadata) ?? '',
      payloadBytes: request.payload.length,
      loggedRunId: callContext.getStore()?.runId ?? '',
    };
  }

  @GrpcMethod('Echo', 'Slow')
  async slow(request: { delayMs: number; tag: string }): Promise<Partial<EchoReply>> {
    this.probe.events.push(`slow ${request.tag} started`);
    this.logger.info('slow call started', { tag: request.tag });
    await sleep(request.delayMs);
    this.probe.events.push(`slow ${request.tag} finished`);
    return { text: request.tag };
  }

  @GrpcMethod('Echo', 'Fail')
  fail(request: { kind: string; field: string }): never {
    switch (request.kind) {
      case 'invalid_argument':
        throw invalidArgument(request.field, 'must be positive');
      case 'not_found':
        throw notFound('run r-1 does not exist');
      case 'already_exists':
        throw alreadyExists('dataset d-1 is already registered');
      case 'failed_precondition':
        throw failedPrecondition('run r-1 has not finished');
      case 'data_loss':
        throw dataLoss('digest mismatch for stats/3.bin');
      case 'unavailable':
        throw unavailable('object store unreachable');
      case 'library':
        // The shape a library (artifacts, data) throws: no gRPC, just a string code.
        throw Object.assign(new Error(`checksum mismatch in ${request.field}`), { code: 'data_loss' });
      case 'library_invalid':
        throw Object.assign(new Error(`${request.field}: empty class`), { code: 'invalid_argument' });
      default:
        throw new Error(`secret-bearing internal failure: ${request.field}`);
    }
  }

  @GrpcMethod('Echo', 'Count')
  count(request: { to: number; intervalMs: number }): Observable<{ n: number }> {
    return interval(request.intervalMs).pipe(
      take(request.to),
      map((i) => ({ n: i + 1 })),
      tap(() => this.probe.emitted++),
      finalize(() => this.probe.streamsFinalized++),
    );
  }
}

@Controller()
class CollectController {
  /**
   * Counts the chunks of a client stream, reading the call as a Node stream (Nest's GrpcStreamCall); refuses
   * the stream after `failAfter` chunks.
   */
  @GrpcStreamCall('Echo', 'Collect')
  collect(
    call: AsyncIterable<{ chunk: Buffer; failAfter: number }>,
    callback: (error: unknown, reply?: { chunks: number; bytes: number }) => void,
  ): void {
    void (async () => {
      const total = { chunks: 0, bytes: 0 };
      for await (const request of call) {
        if (request.failAfter > 0 && total.chunks >= request.failAfter)
          return callback(toGrpcStatus(invalidArgument('chunk', `more than ${request.failAfter} chunks`)));
        total.chunks++;
        total.bytes += request.chunk.length;
      }
      callback(null, total);
    })().catch((error: unknown) => callback(error));
  }
}

@Module({})
export class EchoModule {
  static with(probe: Probe): DynamicModule {
    return {
      module: EchoModule,
      controllers: [EchoController, CollectController],
      providers: [{ provide: PROBE, useValue: probe }],
    };
  }
}

type Codec<T extends object> = {
  encode(message: T): { finish(): Uint8Array };
  fromPartial(object: Partial<T>): T;
  decode(input: Uint8Array): T;
};

/**
 * The Echo service in the shape ts-proto's generic definitions have, built from the .proto with
 * proto-loader's serialisers: the test stand-in for a generated definition.
 */
function echoDefinition() {
  const loaded = loadSync(ECHO_PROTO, { ...PROTO_LOADER_OPTIONS });
  const service = loaded[ECHO_SERVICE] as ServiceDefinition;
  const codec = <T extends object>(name: string, side: 'request' | 'response'): Codec<T> => {
    const m = service[name];
    return {
      encode: (message) => ({
        finish: () => (side === 'response' ? m.responseSerialize(message) : m.requestSerialize(message)),
      }),
      fromPartial: (object) => object as T,
      decode: (input) =>
        (side === 'response'
          ? m.responseDeserialize(Buffer.from(input))
          : m.requestDeserialize(Buffer.from(input))) as T,
    };
  };
  const method = <Req extends object, Res extends object, RS extends boolean, SS extends boolean>(
    name: string,
    requestStream: RS,
    responseStream: SS,
  ) => ({
    name,
    requestType: codec<Req>(name, 'request'),
    requestStream,
    responseType: codec<Res>(name, 'response'),
    responseStream,
    options: { idempotencyLevel: service[name].options.idempotency_level } as { idempotencyLevel?: string },
  });
  return {
    name: 'Echo',
    fullName: ECHO_SERVICE,
    methods: {
      echo: method<EchoRequest, EchoReply, false, false>('Echo', false, false),
      slow: method<{ delayMs: number; tag: string }, EchoReply, false, false>('Slow', false, false),
      fail: method<{ kind: string; field: string }, EchoReply, false, false>('Fail', false, false),
      count: method<{ to: number; intervalMs: number }, { n: number }, false, true>('Count', false, true),
      collect: method<
        { chunk: Uint8Array; failAfter: number },
        { chunks: number; bytes: number },
        true,
        false
      >('Collect', true, false),
    },
  } as const;
}

export const ECHO_DEFINITION = echoDefinition();

/**
 * The echo service's own authorisation table (the platform's knows nothing of it): every method for the
 * `cli` identity, Echo also for `dashboard` but only without a payload.
 */
export const ECHO_AUTHORISATION: ReadonlyMap<string, MethodRule> = new Map(
  Object.keys(ECHO_DEFINITION.methods).map((key): [string, MethodRule] => [
    methodPath(ECHO_DEFINITION, key),
    key === 'echo' ? { callers: ['cli', 'dashboard'], whenSet: { payload: ['cli'] } } : { callers: ['cli'] },
  ]),
);
