import 'reflect-metadata';
import * as grpc from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { Module, type DynamicModule, type INestMicroservice, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ServerGrpc, type GrpcOptions } from '@nestjs/microservices';
import { DEFAULT_MAX_MESSAGE_BYTES, PROTO_LOADER_OPTIONS } from './client';
import { GrpcExceptionFilter } from './errors';
import { ServiceHealth, type DependencyCheck } from './health';
import type { MethodRule } from './authorisation';
import { authorisationInterceptor } from './authorisation-interceptor';
import { createLogger, GrpcCallInterceptor, NestJsonLogger, type Logger } from './logging';
import { serverCredentials, type TlsMaterial } from './tls/credentials';

/** The proto package the platform's services live in. */
export const DEFAULT_PROTO_PACKAGE = 'slca.v1';

/** Inject with `@Inject(SHUTDOWN_HOOKS)` to register work that must happen before the server drains. */
export const SHUTDOWN_HOOKS = Symbol('slca.service-kit.shutdown-hooks');
/** Inject with `@Inject(SERVICE_HEALTH)`: the {@link ServiceHealth} of the running server. */
export const SERVICE_HEALTH = Symbol('slca.service-kit.health');
/** Inject with `@Inject(SERVICE_LOGGER)`: the service's structured {@link Logger}. */
export const SERVICE_LOGGER = Symbol('slca.service-kit.logger');

export type ShutdownHook = () => Promise<unknown> | unknown;

export interface ShutdownHooks {
  register(hook: ShutdownHook): void;
}

export interface GrpcServiceOptions {
  /** Short name for logs, e.g. `trainer`. */
  readonly name: string;
  readonly module: Type<unknown> | DynamicModule;
  readonly protoPath: string | readonly string[];
  readonly includeDirs?: readonly string[];
  /** Proto package(s) whose services the controllers implement; default {@link DEFAULT_PROTO_PACKAGE}. */
  readonly package?: string | readonly string[];
  /** Default 127.0.0.1: nothing listens beyond loopback unless asked to. */
  readonly host?: string;
  /** 0 picks a free port; the bound one is {@link GrpcService.port}. */
  readonly port: number;
  /**
   * The service's CA, certificate and key (see `tlsFromEnv`). Required: the port serves mutual TLS only
   * (a client certificate from this CA or no connection), and each call is checked against the
   * authorisation table by the caller's certificate. There is no plain-text mode.
   */
  readonly tls: TlsMaterial;
  /**
   * A plain-text port serving grpc.health.v1 and nothing else, for probes that cannot speak TLS (the
   * kubelet's gRPC probe); 0 picks a free one; absent: none. It binds `healthHost`, default `host`.
   */
  readonly healthPort?: number;
  readonly healthHost?: string;
  /**
   * Who may call what, by gRPC path; default the platform's table (AUTHORISATION in ./authorisation), which every
   * service uses. Only a server of another package (a test's) names its own.
   */
  readonly authorisation?: ReadonlyMap<string, MethodRule>;
  /** Largest message sent or received; default {@link DEFAULT_MAX_MESSAGE_BYTES}. */
  readonly maxMessageBytes?: number;
  /** How long in-flight calls may run on after shutdown begins before they are cut; default 10 s. */
  readonly drainTimeoutMs?: number;
  /** Bound on each `beforeShutdown` hook; default 15 s. */
  readonly shutdownHookTimeoutMs?: number;
  readonly dependencies?: readonly DependencyCheck[];
  /** How often dependencies are re-checked; default 10 s, 0 for only at start and on demand. */
  readonly dependencyCheckIntervalMs?: number;
  readonly logger?: Logger;
  /** Stop on SIGTERM/SIGINT and then exit the process; default true. */
  readonly handleSignals?: boolean;
  /** Extra grpc-js server options (keepalive and the like). */
  readonly channelOptions?: grpc.ChannelOptions;
}

export interface GrpcService {
  readonly name: string;
  readonly host: string;
  /** The port actually bound (the OS's pick when asked for 0). */
  readonly port: number;
  /** `host:port`, ready for a client. */
  readonly address: string;
  /** `host:port` of the plain-text health port, when one was asked for. */
  readonly healthAddress?: string;
  readonly app: INestMicroservice;
  readonly health: ServiceHealth;
  readonly logger: Logger;
  beforeShutdown(hook: ShutdownHook): void;
  /**
   * Health NOT_SERVING, then the `beforeShutdown` hooks in order, then a drain of in-flight calls bounded
   * by `drainTimeoutMs`, then a forced close and Nest's own shutdown hooks. Idempotent.
   */
  stop(reason?: string): Promise<void>;
  /** Settles when the service has stopped, however that was triggered. */
  readonly stopped: Promise<void>;
}

/**
 * Nest's ServerGrpc binds inside `createClient` and drops the port grpc-js reports, so port 0 cannot be
 * read back through Nest; and its `close()` either cuts calls (`forceShutdown`) or, with
 * `gracefulShutdown: true`, waits on `tryShutdown` with no bound at all. This subclass binds itself to
 * keep the port, and drains with a deadline.
 */
class DrainingServerGrpc extends ServerGrpc {
  private port?: number;
  private server?: grpc.Server;
  private closing?: Promise<void>;

  constructor(
    options: GrpcOptions['options'],
    private readonly bindAddress: string,
    private readonly credentials: grpc.ServerCredentials,
    private readonly serverOptions: grpc.ServerOptions,
    private readonly drainTimeoutMs: number,
    private readonly log: Logger,
  ) {
    super(options);
  }

  get boundPort(): number {
    if (this.port === undefined) throw new Error('the gRPC server is not bound yet');
    return this.port;
  }

  override async createClient(): Promise<grpc.Server> {
    const server = new grpc.Server(this.serverOptions);
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(this.bindAddress, this.credentials, (error, port) =>
        error ? reject(error) : resolve(port),
      ),
    );
    this.server = server;
    return server;
  }

  override close(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    this.closing ??= new Promise<void>((resolve) => {
      const started = performance.now();
      const timer = setTimeout(() => {
        this.log.warn('drain deadline reached; cutting the remaining calls', {
          drainTimeoutMs: this.drainTimeoutMs,
        });
        server.forceShutdown();
        resolve();
      }, this.drainTimeoutMs);
      server.tryShutdown(() => {
        clearTimeout(timer);
        this.log.info('drained', { drainMs: Math.round(performance.now() - started) });
        resolve();
      });
    });
    return this.closing;
  }
}

function formatAddress(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Fully qualified names of the services that the given packages define. */
function servicesIn(definition: PackageDefinition, packages: readonly string[]): string[] {
  return Object.entries(definition)
    .filter(([name, value]) => !('format' in value) && packages.some((p) => name.startsWith(`${p}.`)))
    .map(([name]) => name);
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** grpc.health.v1 alone on a plain-text port: the same health the TLS port reports, for probes without TLS. */
async function startHealthServer(health: ServiceHealth, address: string) {
  const server = new grpc.Server();
  health.addToServer(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return { server, port };
}

@Module({})
class ServiceKitModule {}

@Module({})
class ServiceRootModule {}

/**
 * Starts a Nest microservice on the gRPC transport with health, limits, logging, error mapping and
 * graceful shutdown. Resolves once the server accepts calls and dependencies have been checked once.
 */
export async function startGrpcService(options: GrpcServiceOptions): Promise<GrpcService> {
  // Also for callers from plain JavaScript or with a cast: no TLS is no server, never a plain-text one.
  if (!options.tls?.ca?.length || !options.tls.cert?.length || !options.tls.key?.length)
    throw new Error(
      `${options.name}: no TLS material (tls.ca, tls.cert, tls.key); gRPC is served over mutual TLS only`,
    );
  const credentials = serverCredentials(options.tls);
  const host = options.host ?? '127.0.0.1';
  const packages = [options.package ?? DEFAULT_PROTO_PACKAGE].flat();
  const maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const logger = options.logger ?? createLogger({ service: options.name });
  const health = new ServiceHealth(logger, options.dependencyCheckIntervalMs ?? 10_000);
  for (const dependency of options.dependencies ?? []) health.addDependency(dependency);
  const hooks: ShutdownHook[] = [];
  const hookRegistry: ShutdownHooks = { register: (hook) => void hooks.push(hook) };

  const strategy = new DrainingServerGrpc(
    {
      package: packages,
      protoPath: [options.protoPath].flat(),
      loader: {
        ...PROTO_LOADER_OPTIONS,
        ...(options.includeDirs ? { includeDirs: [...options.includeDirs] } : {}),
      },
      // Called with the bound server before Nest adds the controllers' services: the same server, so
      // health answers exactly where the service does.
      onLoadPackageDefinition: (definition: PackageDefinition, server: grpc.Server) => {
        health.addToServer(server);
        health.addServices(servicesIn(definition, packages));
      },
    },
    formatAddress(host, options.port),
    credentials,
    {
      'grpc.max_send_message_length': maxBytes,
      'grpc.max_receive_message_length': maxBytes,
      ...options.channelOptions,
      interceptors: [authorisationInterceptor(logger, options.authorisation)],
    },
    options.drainTimeoutMs ?? 10_000,
    logger,
  );

  const kit: DynamicModule = {
    module: ServiceKitModule,
    global: true,
    providers: [
      { provide: SHUTDOWN_HOOKS, useValue: hookRegistry },
      { provide: SERVICE_HEALTH, useValue: health },
      { provide: SERVICE_LOGGER, useValue: logger },
    ],
    exports: [SHUTDOWN_HOOKS, SERVICE_HEALTH, SERVICE_LOGGER],
  };
  const app = await NestFactory.createMicroservice(
    { module: ServiceRootModule, imports: [kit, options.module] },
    { strategy, logger: new NestJsonLogger(logger), abortOnError: false },
  );
  app.useGlobalFilters(new GrpcExceptionFilter(logger));
  app.useGlobalInterceptors(new GrpcCallInterceptor(logger));
  try {
    await app.listen();
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  const port = strategy.boundPort;
  let healthServer: { server: grpc.Server; port: number } | undefined;
  if (options.healthPort !== undefined) {
    try {
      healthServer = await startHealthServer(
        health,
        formatAddress(options.healthHost ?? host, options.healthPort),
      );
    } catch (error) {
      await app.close().catch(() => undefined);
      throw error;
    }
  }
  await health.markRunning();

  let stopping: Promise<void> | undefined;
  let markStopped: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (markStopped = resolve));
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
  const onSignal = (signal: NodeJS.Signals) => {
    stop(signal).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };

  function stop(reason = 'stop requested'): Promise<void> {
    stopping ??= (async () => {
      for (const signal of signals) process.off(signal, onSignal);
      logger.info('stopping', { reason });
      health.markStopping();
      for (const hook of hooks) {
        try {
          await withTimeout(
            Promise.resolve().then(hook),
            options.shutdownHookTimeoutMs ?? 15_000,
            'shutdown hook',
          );
        } catch (error) {
          logger.error('shutdown hook failed', { error });
        }
      }
      try {
        await app.close();
      } finally {
        healthServer?.server.forceShutdown();
        logger.info('stopped');
        markStopped();
      }
    })();
    return stopping;
  }

  if (options.handleSignals ?? true) {
    for (const signal of signals) process.once(signal, onSignal);
  }
  const address = formatAddress(host, port);
  const healthAddress = healthServer
    ? formatAddress(options.healthHost ?? host, healthServer.port)
    : undefined;
  logger.info('listening', { address, healthAddress, tls: 'mutual', health: health.status });
  return {
    name: options.name,
    host,
    port,
    address,
    healthAddress,
    app,
    health,
    logger,
    beforeShutdown: hookRegistry.register,
    stop,
    stopped,
  };
}
