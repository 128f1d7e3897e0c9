import { MinioObjectStore, storeConfigFromEnv } from '@slca/artifacts';
import { createLogger, env, loadConfig, tlsFromEnv } from '@slca/service-kit';
import { DEFAULT_STATS_STORE_PORT, startStatsStore } from './app';

async function main(): Promise<void> {
  const config = loadConfig({
    SLCA_STATS_STORE_PORT: env.port().default(DEFAULT_STATS_STORE_PORT),
    SLCA_BIND_HOST: env.string().default('127.0.0.1'),
    SLCA_HEALTH_PORT: env
      .port()
      .optional()
      .describe('plain-text port serving only grpc.health.v1, for probes without TLS'),
  });
  // Mutual TLS only: without SLCA_TLS_CA, SLCA_TLS_CERT and SLCA_TLS_KEY the service does not start.
  const tls = tlsFromEnv(process.env);
  const storeConfig = storeConfigFromEnv(process.env);
  const logger = createLogger({ service: 'stats-store', secrets: [storeConfig.secretKey] });
  // A bug that leaves a promise unhandled is logged; it does not end the service.
  process.on('unhandledRejection', (error) =>
    logger.error('unhandled rejection (a bug: please report it); the stats-store goes on', { error }),
  );
  logger.info('configuration', { config, store: storeConfig });
  const store = new MinioObjectStore(storeConfig);
  await store.ensureBucket();
  await startStatsStore({
    store,
    port: config.SLCA_STATS_STORE_PORT,
    host: config.SLCA_BIND_HOST,
    tls,
    healthPort: config.SLCA_HEALTH_PORT,
    logger,
  });
}

main().catch((error: unknown) => {
  createLogger({ service: 'stats-store' }).error('failed to start', { error });
  process.exit(1);
});
