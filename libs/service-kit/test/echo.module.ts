import { setTimeout as sleep } from 'node:timers/promises';
import type { Metadata } from '@grpc/grpc-js';
import { Controller, Inject, Module, type DynamicModule } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
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
  unavailable,
  type Logger,
  type ShutdownHooks,
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

@Module({})
export class EchoModule {
  static with(probe: Probe): DynamicModule {
    return {
      module: EchoModule,
      controllers: [EchoController],
      providers: [{ provide: PROBE, useValue: probe }],
    };
  }
}
