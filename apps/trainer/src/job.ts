import { getRunRecord, MinioObjectStore, storeConfigFromEnv, type ObjectStore } from '@slca/artifacts';
import { ExperimentStopped, type ProgressEvent } from '@slca/engine';
import {
  callContext,
  channelCredentials,
  createLogger,
  evaluatorClient,
  loadConfig,
  secretValues,
  splitterClient,
  statisticsClient,
  tlsFromEnv,
  type ConfigOf,
  type Logger,
  type TlsMaterial,
} from '@slca/service-kit';
import { TRAINER_CONFIG } from './config';
import {
  readRunJobReport,
  RUN_JOB_EXIT,
  writeRunJobReport,
  type RunJobReport,
} from './execution/kubernetes-executor';
import { Peers } from './execution/peers';
import { executeRun, type ExecutionHooks } from './execution/run-execution';
import { executionInput } from './runs/execution-input';
import { isTransient } from './runs/retry-policy';
import type { RunRecord } from './runs/run-record';

/** Log lines a report keeps; the pod's full log is its stdout. */
const REPORT_LOG_LINES = 200;
/** Progress alone is written at most this often; checkpoints, evaluations and the outcome at once. */
const PROGRESS_EVERY_MS = 2_000;

/**
 * The clients of the other services, with the trainer's deadlines, over mutual TLS with `tls` (the
 * trainer's certificate, or a run Job's).
 */
export function connectPeers(config: ConfigOf<typeof TRAINER_CONFIG>, tls: TlsMaterial): Peers {
  const credentials = channelCredentials(tls);
  const options = (address: string) => ({ address, deadlineMs: config.SLCA_PEER_DEADLINE, credentials });
  return new Peers(
    splitterClient(options(config.SLCA_SPLITTER_ADDRESS)),
    statisticsClient(options(config.SLCA_STATS_STORE_ADDRESS)),
    evaluatorClient(options(config.SLCA_EVALUATOR_ADDRESS)),
    { importMs: config.SLCA_IMPORT_DEADLINE, evaluateMs: config.SLCA_IMPORT_DEADLINE },
  );
}

/**
 * The pod's side of the report the trainer follows (see KubernetesExecutor): one writer, writes in order,
 * progress throttled. Evaluations and log numbering carry over from earlier pods of the same Job.
 */
export class ReportWriter {
  private report: RunJobReport;
  private chain: Promise<void> = Promise.resolve();
  private lastWriteMs = 0;
  private writePending = false;

  constructor(
    private readonly store: ObjectStore,
    runId: string,
    jobUid: string,
    pod: string,
    private readonly logger: Logger,
    earlier?: RunJobReport,
  ) {
    const sameJob = earlier?.jobUid === jobUid && jobUid !== '';
    this.report = {
      runId,
      jobUid,
      pod,
      updatedAtMs: Date.now(),
      evaluated: sameJob ? earlier.evaluated : [],
      logs: sameJob ? earlier.logs : [],
    };
  }

  hooks(): ExecutionHooks {
    return {
      onProgress: (e: ProgressEvent) => {
        this.report.progress = e;
        this.report.progressAtMs = Date.now();
        this.soon();
      },
      onPrepared: async (prepared) => {
        this.report.prepared = prepared;
        await this.now();
      },
      onCheckpoint: async ({ prefix, seq, state, reason }) => {
        this.report.checkpoint = {
          prefix,
          seq,
          task: state.task,
          epoch: state.epoch,
          step: state.step,
          reason,
        };
        await this.now();
      },
      onEvaluated: async (e) => {
        this.report.evaluated = [...this.report.evaluated.filter((x) => x.task < e.task), e];
        await this.now();
      },
      // Written at once, as the trainer service shows it: the trainer relays it to the run's status.
      // A wait for the object store itself reaches the report only once the store answers (the trainer
      // names that wait itself when it cannot read the report).
      onWaiting: (waitingFor) => {
        this.report.waitingFor = waitingFor;
        this.now().catch((error: unknown) =>
          this.logger.warn('could not write the run report', { error, waitingFor }),
        );
      },
      log: (message) => this.log(message),
    };
  }

  log(message: string): void {
    this.logger.info(message);
    const logs = this.report.logs;
    logs.push({ seq: (logs.at(-1)?.seq ?? 0) + 1, line: message });
    if (logs.length > REPORT_LOG_LINES) logs.splice(0, logs.length - REPORT_LOG_LINES);
    this.soon();
  }

  async finish(outcome: NonNullable<RunJobReport['outcome']>): Promise<void> {
    this.report.outcome = outcome;
    await this.now();
  }

  /** Writes the report after any write in flight; a failure reaches the caller. */
  now(): Promise<void> {
    const write = this.chain.then(() => {
      this.report.updatedAtMs = Date.now();
      this.lastWriteMs = Date.now();
      return writeRunJobReport(this.store, structuredClone(this.report));
    });
    this.chain = write.catch(() => undefined);
    return write;
  }

  /** A best-effort write, at most every PROGRESS_EVERY_MS: a lost progress update costs nothing. */
  private soon(): void {
    if (this.writePending || Date.now() - this.lastWriteMs < PROGRESS_EVERY_MS) return;
    this.writePending = true;
    this.now()
      .catch((error: unknown) => this.logger.warn('could not write the run report', { error }))
      .finally(() => (this.writePending = false));
  }
}

/**
 * The run-one-job mode of the trainer bundle (`main.js --run-job <runId>`), the command of a run's
 * Kubernetes Job: continues the run from its latest checkpoint through the services, reports to the
 * trainer through the object store, and exits with a RUN_JOB_EXIT code. SIGTERM (a disruption, or the Job
 * deleted by a cancel) checkpoints at the next step boundary and exits for another attempt.
 */
export async function runJob(runId: string, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const config = loadConfig(TRAINER_CONFIG, env);
  // The Job's own certificate (identity `job`), mounted from its Secret; no certificate, no run.
  const tls = tlsFromEnv(env);
  const storeConfig = storeConfigFromEnv(env);
  const logger = createLogger({
    service: 'trainer-job',
    level: config.SLCA_LOG_LEVEL,
    secrets: [...secretValues(config), storeConfig.secretKey],
  }).child({ runId });
  const store = new MinioObjectStore(storeConfig);
  const record = await getRunRecord<RunRecord>(store, runId);
  if (!record) {
    logger.error('the run does not exist in the object store');
    return RUN_JOB_EXIT.failed;
  }
  const earlier = await readRunJobReport(store, runId).catch(() => undefined);
  const report = new ReportWriter(
    store,
    runId,
    env.SLCA_JOB_UID ?? '',
    env.SLCA_POD_NAME ?? env.HOSTNAME ?? '',
    logger,
    earlier,
  );
  const peers = connectPeers(config, tls);
  const stop = new AbortController();
  const onSignal = () => {
    report.log('stop requested: checkpointing at the next step');
    stop.abort();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    const result = await callContext.run({ runId }, () =>
      executeRun(
        executionInput(record, {
          store,
          peers,
          logger,
          signal: stop.signal,
          hooks: report.hooks(),
          dependencies: {
            splitter: config.SLCA_SPLITTER_ADDRESS,
            'stats-store': config.SLCA_STATS_STORE_ADDRESS,
            evaluator: config.SLCA_EVALUATOR_ADDRESS,
          },
        }),
      ),
    );
    await report.finish({ kind: 'succeeded', result });
    return RUN_JOB_EXIT.succeeded;
  } catch (error) {
    const retry = error instanceof ExperimentStopped || isTransient(error);
    const message = (error as Error).message;
    if (!retry) logger.error('run failed', { error });
    await report
      .finish({ kind: retry ? 'retry' : 'failed', error: message })
      .catch((e: unknown) => logger.error('could not write the final run report', { error: e }));
    return retry ? RUN_JOB_EXIT.retry : RUN_JOB_EXIT.failed;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    peers.close();
  }
}
