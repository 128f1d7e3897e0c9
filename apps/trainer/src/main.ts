import 'reflect-metadata';
import { MinioObjectStore, storeConfigFromEnv } from '@slca/artifacts';
import { PROTO_FILES, protoRoot } from '@slca/contracts';
import { createLogger, loadConfig, secretValues, startGrpcService, tlsFromEnv } from '@slca/service-kit';
import { TRAINER_CONFIG } from './config';
import { InProcessExecutor } from './execution/executor';
import { createKubernetesExecutor, jobSettingsFrom } from './execution/kubernetes-executor';
import { OutageGate, WaitStopped } from './execution/outages';
import { connectPeers, runJob } from './job';
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
  // Mutual TLS only: without SLCA_TLS_CA, SLCA_TLS_CERT and SLCA_TLS_KEY the trainer does not start.
  const tls = tlsFromEnv(env);
  const logger = createLogger({
    service: 'trainer',
    level: config.SLCA_LOG_LEVEL,
    secrets: [...secretValues(config), storeConfig.secretKey],
  });
  const store = new MinioObjectStore(storeConfig);
  await store.ensureBucket();

  const peers = connectPeers(config, tls);
  const executor =
    config.SLCA_EXECUTOR === 'kubernetes'
      ? await createKubernetesExecutor(jobSettingsFrom(config, env))
      : new InProcessExecutor();
  const manager = new RunManager({
    store,
    peers,
    logger,
    workers: config.SLCA_TRAINER_WORKERS,
    checkpointEvery: config.SLCA_CHECKPOINT_EVERY,
    concurrency: config.SLCA_TRAINER_CONCURRENCY,
    executor,
    dependencies: {
      splitter: config.SLCA_SPLITTER_ADDRESS,
      'stats-store': config.SLCA_STATS_STORE_ADDRESS,
      evaluator: config.SLCA_EVALUATOR_ADDRESS,
    },
  });
  // A bug that leaves a promise unhandled is logged; it does not take the runs of this process down.
  process.on('unhandledRejection', (error) =>
    logger.error('unhandled rejection (a bug: please report it); the trainer goes on', { error }),
  );

  const service = await startGrpcService({
    name: 'trainer',
    module: RunsModule.with(manager),
    protoPath: PROTO_FILES.trainer,
    includeDirs: [protoRoot()],
    host: config.SLCA_BIND_HOST,
    port: config.SLCA_TRAINER_PORT,
    tls,
    healthPort: config.SLCA_HEALTH_PORT,
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
  const stopping = new AbortController();
  service.beforeShutdown(async () => {
    stopping.abort();
    await manager.shutdown();
    peers.close();
  });
  logger.info('listening', { address: service.address, executor: executor.kind });
  // The runs a previous trainer left are continued once the store answers, however long that takes.
  const recovery = new OutageGate({
    signal: stopping.signal,
    addresses: { 'object-store': store.description },
    onChange: (waitingFor, error) =>
      waitingFor
        ? logger.warn(`waiting for ${waitingFor} to continue the runs a previous trainer left`, { error })
        : logger.info('the object store answers again'),
  });
  await recovery
    .call('object-store', () => manager.recover())
    .catch((error: unknown) => {
      if (!(error instanceof WaitStopped)) throw error;
    });
}

if (require.main === module) {
  // `--run-job <runId>`: the command of a run's Kubernetes Job (see job.ts); otherwise the service.
  const at = process.argv.indexOf('--run-job');
  const work = at >= 0 ? runJob(process.argv[at + 1] ?? '').then((code) => process.exit(code)) : main();
  work.catch((error: unknown) => {
    process.stderr.write(`trainer: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
