import 'reflect-metadata';
import { MinioObjectStore, storeConfigFromEnv } from '@slca/artifacts';
import { PROTO_FILES, protoRoot } from '@slca/contracts';
import {
  createGrpcClient,
  createLogger,
  loadConfig,
  secretValues,
  startGrpcService,
} from '@slca/service-kit';
import { TRAINER_CONFIG } from './config';
import { Peers } from './execution/peers';
import { RunManager } from './runs/run-manager';
import { RunsModule } from './runs/runs.module';

/**
 * The trainer process: validates its configuration, connects to the object store and the other services,
 * continues the runs a previous trainer left unfinished, and serves slca.v1.TrainerService. On SIGTERM it
 * checkpoints every active run before the server drains.
 */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = loadConfig(TRAINER_CONFIG, env);
  const storeConfig = storeConfigFromEnv(env);
  const logger = createLogger({
    service: 'trainer',
    level: config.SLCA_LOG_LEVEL,
    secrets: [...secretValues(config), storeConfig.secretKey],
  });
  const store = new MinioObjectStore(storeConfig);
  await store.ensureBucket();

  const includeDirs = [protoRoot()];
  const client = (file: string, service: string, address: string) =>
    createGrpcClient({
      protoPath: file,
      includeDirs,
      service,
      address,
      deadlineMs: config.SLCA_PEER_DEADLINE,
    });
  const peers = new Peers(
    client(PROTO_FILES.splitter, 'slca.v1.SplitterService', config.SLCA_SPLITTER_ADDRESS),
    client(PROTO_FILES.statistics, 'slca.v1.StatisticsService', config.SLCA_STATS_STORE_ADDRESS),
    client(PROTO_FILES.evaluator, 'slca.v1.EvaluatorService', config.SLCA_EVALUATOR_ADDRESS),
    { importMs: config.SLCA_IMPORT_DEADLINE, evaluateMs: config.SLCA_IMPORT_DEADLINE },
  );
  const manager = new RunManager({
    store,
    peers,
    logger,
    workers: config.SLCA_TRAINER_WORKERS,
    checkpointEvery: config.SLCA_CHECKPOINT_EVERY,
    concurrency: config.SLCA_TRAINER_CONCURRENCY,
  });

  const service = await startGrpcService({
    name: 'trainer',
    module: RunsModule.with(manager),
    protoPath: PROTO_FILES.trainer,
    includeDirs,
    host: config.SLCA_BIND_HOST,
    port: config.SLCA_TRAINER_PORT,
    logger,
    // A stop checkpoints each active run at its next step boundary; give that room within the pod's grace.
    shutdownHookTimeoutMs: 15_000,
    dependencies: [
      {
        name: 'object-store',
        timeoutMs: 3_000,
        check: async () => void (await store.exists('health/probe')),
      },
    ],
  });
  service.beforeShutdown(async () => {
    await manager.shutdown();
    peers.close();
  });
  logger.info('listening', { address: service.address });
  await manager.recover();
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`trainer: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
