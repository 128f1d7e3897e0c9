import { MinioObjectStore, storeConfigFromEnv } from '@slca/artifacts';
import { BACKEND_REQUESTS } from '@slca/compute';
import { createLogger, env, loadConfig, tlsFromEnv } from '@slca/service-kit';
import { DEFAULT_EVALUATOR_PORT, startEvaluator } from './app';
import { DEFAULT_CACHE_PIXELS, DEFAULT_STREAM_IMAGES } from './evaluation/test-sets';

async function main(): Promise<void> {
  const config = loadConfig({
    SLCA_EVALUATOR_PORT: env.port().default(DEFAULT_EVALUATOR_PORT),
    SLCA_BIND_HOST: env.string().default('127.0.0.1'),
    SLCA_EVALUATOR_BACKEND: env
      .oneOf(BACKEND_REQUESTS as readonly ['auto', 'tensorflow', 'wasm', 'cpu'])
      .default('auto'),
    SLCA_EVALUATOR_CACHE_PIXELS: env
      .integer({ min: 1 })
      .default(DEFAULT_CACHE_PIXELS)
      .describe('pixels (images × size²) of decoded test sets kept between evaluations, LRU'),
    SLCA_EVALUATOR_STREAM_IMAGES: env
      .integer({ min: 1 })
      .default(DEFAULT_STREAM_IMAGES)
      .describe('decoded test images a streamed evaluation holds at once'),
    SLCA_HEALTH_PORT: env
      .port()
      .optional()
      .describe('plain-text port serving only grpc.health.v1, for probes without TLS'),
  });
  // Mutual TLS only: without SLCA_TLS_CA, SLCA_TLS_CERT and SLCA_TLS_KEY the service does not start.
  const tls = tlsFromEnv(process.env);
  const storeConfig = storeConfigFromEnv(process.env);
  const logger = createLogger({ service: 'evaluator', secrets: [storeConfig.secretKey] });
  // A bug that leaves a promise unhandled is logged; it does not end the service.
  process.on('unhandledRejection', (error) =>
    logger.error('unhandled rejection (a bug: please report it); the evaluator goes on', { error }),
  );
  logger.info('configuration', { config, store: storeConfig });
  const store = new MinioObjectStore(storeConfig);
  await store.ensureBucket();
  await startEvaluator({
    store,
    port: config.SLCA_EVALUATOR_PORT,
    host: config.SLCA_BIND_HOST,
    tls,
    healthPort: config.SLCA_HEALTH_PORT,
    backend: config.SLCA_EVALUATOR_BACKEND,
    evaluation: {
      cachePixels: config.SLCA_EVALUATOR_CACHE_PIXELS,
      streamImages: config.SLCA_EVALUATOR_STREAM_IMAGES,
    },
    logger,
  });
}

main().catch((error: unknown) => {
  createLogger({ service: 'evaluator' }).error('failed to start', { error });
  process.exit(1);
});
