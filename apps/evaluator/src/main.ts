import { MinioObjectStore, storeConfigFromEnv } from '@slca/artifacts';
import { BACKEND_REQUESTS } from '@slca/engine';
import { createLogger, env, loadConfig } from '@slca/service-kit';
import { DEFAULT_EVALUATOR_PORT, startEvaluator } from './app';

async function main(): Promise<void> {
  const config = loadConfig({
    SLCA_EVALUATOR_PORT: env.port().default(DEFAULT_EVALUATOR_PORT),
    SLCA_BIND_HOST: env.string().default('127.0.0.1'),
    SLCA_EVALUATOR_BACKEND: env
      .oneOf(BACKEND_REQUESTS as readonly ['auto', 'tensorflow', 'wasm', 'cpu'])
      .default('auto'),
  });
  const storeConfig = storeConfigFromEnv(process.env);
  const logger = createLogger({ service: 'evaluator', secrets: [storeConfig.secretKey] });
  logger.info('configuration', { config, store: storeConfig });
  const store = new MinioObjectStore(storeConfig);
  await store.ensureBucket();
  await startEvaluator({
    store,
    port: config.SLCA_EVALUATOR_PORT,
    host: config.SLCA_BIND_HOST,
    backend: config.SLCA_EVALUATOR_BACKEND,
    logger,
  });
}

main().catch((error: unknown) => {
  createLogger({ service: 'evaluator' }).error('failed to start', { error });
  process.exit(1);
});
