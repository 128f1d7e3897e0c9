import type { ObjectStore } from '@slca/artifacts';
import { PROTO_FILES, protoRoot } from '@slca/contracts';
import { initBackend, type BackendRequest } from '@slca/compute';
import {
  createLogger,
  startGrpcService,
  type GrpcService,
  type Logger,
  type TlsMaterial,
} from '@slca/service-kit';
import { objectStoreHealth } from './object-store';
import { StatisticsModule } from './statistics/statistics.module';

export const DEFAULT_STATS_STORE_PORT = 50053;

export interface StatsStoreOptions {
  store: ObjectStore;
  /** 0 picks a free port. */
  port: number;
  /** The service's certificate, key and CA: its port serves mutual TLS only (see `tlsFromEnv`). */
  tls: TlsMaterial;
  /** A plain-text port serving only grpc.health.v1 (for the kubelet's probes); 0 a free one; absent: none. */
  healthPort?: number;
  host?: string;
  logger?: Logger;
  /** The TensorFlow.js backend samples are drawn on; default `auto` (the best available). */
  backend?: BackendRequest;
  /** Stop and exit on SIGTERM/SIGINT; off for a service started inside a test. */
  handleSignals?: boolean;
}

/** The statistics store on a gRPC server with health, its tensor backend initialised first. */
export async function startStatsStore(options: StatsStoreOptions): Promise<GrpcService> {
  const logger = options.logger ?? createLogger({ service: 'stats-store' });
  const backend = await initBackend(options.backend ?? 'auto');
  logger.info('tensor backend', { backend });
  return startGrpcService({
    name: 'stats-store',
    module: StatisticsModule.forStore(options.store),
    protoPath: PROTO_FILES.statistics,
    includeDirs: [protoRoot()],
    host: options.host,
    port: options.port,
    tls: options.tls,
    healthPort: options.healthPort,
    logger,
    handleSignals: options.handleSignals,
    dependencies: [objectStoreHealth(options.store)],
  });
}
