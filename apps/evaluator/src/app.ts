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
import type { EvaluationOptions } from './evaluation/evaluation.service';
import { EvaluationModule } from './evaluation/evaluation.module';
import { objectStoreHealth } from './object-store';

export const DEFAULT_EVALUATOR_PORT = 50054;

export interface EvaluatorOptions {
  store: ObjectStore;
  /** 0 picks a free port. */
  port: number;
  /** The service's certificate, key and CA: its port serves mutual TLS only (see `tlsFromEnv`). */
  tls: TlsMaterial;
  /** A plain-text port serving only grpc.health.v1 (for the kubelet's probes); 0 a free one; absent: none. */
  healthPort?: number;
  host?: string;
  logger?: Logger;
  /**
   * The TensorFlow.js backend to evaluate on; default `auto` (the best available). A run whose
   * configuration names another backend is refused, since its numbers would not be the run's own.
   */
  backend?: BackendRequest;
  /** Memory bounds on test images: the decoded-set cache's pixel budget, the images a streamed evaluation holds. */
  evaluation?: Pick<EvaluationOptions, 'cachePixels' | 'streamImages'>;
  /** Stop and exit on SIGTERM/SIGINT; off for a service started inside a test. */
  handleSignals?: boolean;
}

/** The evaluator on a gRPC server with health, its tensor backend initialised first. */
export async function startEvaluator(options: EvaluatorOptions): Promise<GrpcService> {
  const logger = options.logger ?? createLogger({ service: 'evaluator' });
  const backend = await initBackend(options.backend ?? 'auto');
  logger.info('tensor backend', { backend });
  return startGrpcService({
    name: 'evaluator',
    module: EvaluationModule.forStore(options.store, backend, options.evaluation),
    protoPath: PROTO_FILES.evaluator,
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
