import type { ObjectStore } from '@slca/artifacts';
import { PROTO_FILES, protoRoot } from '@slca/contracts';
import { startGrpcService, type GrpcService, type Logger, type TlsMaterial } from '@slca/service-kit';
import { objectStoreHealth } from './object-store';
import { ServerPaths } from './splitter/server-paths';
import { SplitterModule } from './splitter/splitter.module';

export const DEFAULT_SPLITTER_PORT = 50051;

export interface SplitterOptions {
  store: ObjectStore;
  /** 0 picks a free port. */
  port: number;
  /** The service's certificate, key and CA: its port serves mutual TLS only (see `tlsFromEnv`). */
  tls: TlsMaterial;
  /** A plain-text port serving only grpc.health.v1 (for the kubelet's probes); 0 a free one; absent: none. */
  healthPort?: number;
  host?: string;
  logger?: Logger;
  /** Folders on this host the splitter may import from (SLCA_DATASET_ROOTS); none: no path is read. */
  datasetRoots?: readonly string[];
  /** Stop and exit on SIGTERM/SIGINT; off for a service started inside a test. */
  handleSignals?: boolean;
}

/** The splitter on a gRPC server with health; `main.ts` runs it as a process, tests may run it in theirs. */
export function startSplitter(options: SplitterOptions): Promise<GrpcService> {
  return startGrpcService({
    name: 'splitter',
    module: SplitterModule.forStore(options.store, new ServerPaths(options.datasetRoots ?? [])),
    protoPath: PROTO_FILES.splitter,
    includeDirs: [protoRoot()],
    host: options.host,
    port: options.port,
    tls: options.tls,
    healthPort: options.healthPort,
    logger: options.logger,
    handleSignals: options.handleSignals,
    dependencies: [objectStoreHealth(options.store)],
  });
}
