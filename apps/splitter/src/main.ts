import { MinioObjectStore, storeConfigFromEnv } from '@slca/artifacts';
import { createLogger, env, loadConfig, tlsFromEnv } from '@slca/service-kit';
import { DEFAULT_SPLITTER_PORT, startSplitter } from './app';
import { DATASET_ROOTS_ENV, parseDatasetRoots } from './splitter/server-paths';

async function main(): Promise<void> {
  const config = loadConfig({
    SLCA_SPLITTER_PORT: env.port().default(DEFAULT_SPLITTER_PORT),
    SLCA_BIND_HOST: env.string().default('127.0.0.1'),
    SLCA_HEALTH_PORT: env
      .port()
      .optional()
      .describe('plain-text port serving only grpc.health.v1, for probes without TLS'),
  });
  // Mutual TLS only: without SLCA_TLS_CA, SLCA_TLS_CERT and SLCA_TLS_KEY the service does not start.
  const tls = tlsFromEnv(process.env);
  const storeConfig = storeConfigFromEnv(process.env);
  const logger = createLogger({ service: 'splitter', secrets: [storeConfig.secretKey] });
  // A bug that leaves a promise unhandled is logged; it does not end the service.
  process.on('unhandledRejection', (error) =>
    logger.error('unhandled rejection (a bug: please report it); the splitter goes on', { error }),
  );
  const datasetRoots = parseDatasetRoots(process.env[DATASET_ROOTS_ENV]);
  logger.info('configuration', { config, store: storeConfig, datasetRoots });
  if (datasetRoots.length === 0)
    logger.warn(
      `${DATASET_ROOTS_ENV} is not set: imports and registrations from paths on this host are refused`,
    );
  const store = new MinioObjectStore(storeConfig);
  await store.ensureBucket();
  await startSplitter({
    store,
    port: config.SLCA_SPLITTER_PORT,
    host: config.SLCA_BIND_HOST,
    tls,
    healthPort: config.SLCA_HEALTH_PORT,
    logger,
    datasetRoots,
  });
}

main().catch((error: unknown) => {
  createLogger({ service: 'splitter' }).error('failed to start', { error });
  process.exit(1);
});
