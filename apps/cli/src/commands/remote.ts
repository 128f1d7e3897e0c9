import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { status as grpcStatus, type ChannelCredentials } from '@grpc/grpc-js';
import { RunStatus, type Run } from '@slca/contracts';
import { evaluatorClient, splitterClient, trainerClient, type TrainerClient } from '@slca/service-kit';
import { ExperimentProgress } from '../progress';
import { cliCredentials, DEFAULT_STACK_DIR } from './credentials';
import { isUnreachable, waitToReconnect } from './reconnect';

/** A service refused a request; the message is the service's own (status name and details). */
export class RemoteError extends Error {
  override name = 'RemoteError';
  constructor(cause: unknown) {
    const e = cause as { code?: number; details?: string; message?: string };
    const code = typeof e.code === 'number' ? grpcStatus[e.code] : undefined;
    super(code ? `${code}: ${e.details ?? e.message}` : String(e.message ?? cause), { cause });
  }
}

/** The file `slca stack` writes in its state folder with the addresses (and keys) of the running stack. */
export const STACK_ENV_FILE = 'stack.env';

const ADDRESS_ENV = {
  trainer: 'SLCA_TRAINER_ADDRESS',
  evaluator: 'SLCA_EVALUATOR_ADDRESS',
  splitter: 'SLCA_SPLITTER_ADDRESS',
} as const;
const DEFAULT_ADDRESSES = {
  trainer: '127.0.0.1:50052',
  evaluator: '127.0.0.1:50054',
  splitter: '127.0.0.1:50051',
};

/** `KEY=value` lines of the stack's address file, or {} when there is none. */
function stackEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const file = join(resolve(env.SLCA_STACK_DIR || DEFAULT_STACK_DIR), STACK_ENV_FILE);
  if (!existsSync(file)) return {};
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

/**
 * Where a service is, when no flag says: `SLCA_<SERVICE>_ADDRESS` from the environment, else the address
 * the local stack wrote in `$SLCA_STACK_DIR/stack.env` (default `.slca-stack/stack.env`) when it started,
 * else its default port on 127.0.0.1.
 */
export function serviceAddress(
  service: keyof typeof ADDRESS_ENV,
  env: NodeJS.ProcessEnv = process.env,
): string {
  return env[ADDRESS_ENV[service]] || stackEnv(env)[ADDRESS_ENV[service]] || DEFAULT_ADDRESSES[service];
}

export const DEFAULT_TRAINER = serviceAddress('trainer');
export const DEFAULT_EVALUATOR = serviceAddress('evaluator');
export const DEFAULT_SPLITTER = serviceAddress('splitter');

export interface RemoteRunOptions {
  trainer: string;
  evaluator: string;
  /** Where the run's split (its class order) is read from. */
  splitter: string;
  runId: string;
  method: string;
  seed: number;
  epochs?: number;
  checkpointEvery?: number;
  configOverridesJson?: string;
  /** A complete experiment (then method, seed, epochs and overrides are only labels). */
  experimentJson?: string;
  tags?: string[];
  /** Stops following (not the run) when aborted. */
  signal?: AbortSignal;
  /** The client certificate to call with; default {@link cliCredentials}('cli'). */
  credentials?: ChannelCredentials;
}

/** The same result document an in-process `run` writes, assembled from the services. */
export interface RemoteRunResult {
  runId: string;
  /** The complete experiment the trainer ran. */
  config: unknown;
  lineage: Run['lineage'];
  classOrder: number[];
  backend: { name: string };
  accuracyMatrix: (number | null)[][];
  accuracies: number[];
  lastAcc: number;
  incAcc: number;
  forgetting: number;
  bwt: number;
  wallSeconds: number;
  status: string;
  resumedCount: number;
}

/**
 * Follows a run's event stream with a progress bar until it ends, and returns its final state. A trainer
 * that does not answer (stopped, restarting, unreachable) is reported with a countdown and tried again
 * until it does: its successor continues the run. What the run waits for is printed as it changes.
 */
export async function followRun(
  trainer: TrainerClient,
  id: string,
  label: string,
  signal?: AbortSignal,
  address = trainer.address ?? 'the trainer',
): Promise<Run> {
  const progress = new ExperimentProgress(label);
  let last: Run | undefined;
  let failures = 0;
  let waitingFor = '';
  const what = `the trainer at ${address}`;
  const unreachable = async (error: unknown) => {
    if (signal?.aborted) throw error;
    if (!isUnreachable(error)) throw new RemoteError(error);
    failures += 1;
    await waitToReconnect({ what, error, attempt: failures, signal });
  };
  const seen = (run: Run) => {
    last = run;
    if ((run.waitingFor ?? '') !== waitingFor) {
      waitingFor = run.waitingFor ?? '';
      process.stderr.write(
        waitingFor ? `\nrun ${id} waits for ${waitingFor}\n` : `\nrun ${id} no longer waits\n`,
      );
    }
  };
  try {
    for (;;) {
      try {
        for await (const { event } of trainer.watchRun({ id }, { signal })) {
          if (!event) continue;
          if (failures > 0) {
            process.stderr.write(`slca: ${what} answers again\n`);
            failures = 0;
          }
          if (event.state) seen(event.state);
          if (event.train) progress.update({ phase: 'train', ...event.train });
          if (event.phase?.phase === 'adapters') {
            const { task, tasks, step, steps } = event.phase;
            progress.update({ phase: 'adapters', task, tasks, step, steps });
          }
          if (event.evaluated)
            progress.update({ phase: 'evaluate', tasks: last?.tasks ?? 0, ...event.evaluated });
        }
        const { run } = await trainer.getRun({ id }, { signal });
        if (run) seen(run);
      } catch (error) {
        // Only a trainer that went away is worth waiting for; anything else (no such run, a bad id) is the answer.
        await unreachable(error);
        continue;
      }
      if (!last || last.status !== RunStatus.RUN_STATUS_INTERRUPTED) break;
    }
  } finally {
    progress.stop();
  }
  if (!last) throw new Error(`run ${id}: no state received`);
  return last;
}

export async function remoteRun(options: RemoteRunOptions): Promise<RemoteRunResult> {
  const credentials = options.credentials ?? cliCredentials('cli');
  const trainer = trainerClient({ address: options.trainer, credentials });
  const evaluator = evaluatorClient({ address: options.evaluator, credentials });
  const splitter = splitterClient({ address: options.splitter, credentials });
  try {
    const { run } = await trainer
      .startRun({
        runId: options.runId,
        benchmark: options.experimentJson ? '' : 'embedded',
        method: options.experimentJson ? '' : options.method,
        seed: options.experimentJson ? 0 : options.seed,
        epochs: options.experimentJson ? 0 : (options.epochs ?? 0),
        checkpointEvery: options.checkpointEvery ?? 0,
        tags: options.tags ?? [],
        configOverridesJson: options.experimentJson ? '' : (options.configOverridesJson ?? ''),
        experimentJson: options.experimentJson ?? '',
        set: [],
        validateOnly: false,
      })
      .catch((error: unknown) => {
        throw new RemoteError(error);
      });
    if (!run) throw new Error('the trainer answered StartRun without a run');
    process.stderr.write(`run ${run.id} on the trainer at ${options.trainer} (${run.status})\n`);
    const final = await followRun(trainer, run.id, `${options.method} seed ${options.seed}`, options.signal);
    if (final.status !== RunStatus.RUN_STATUS_SUCCEEDED)
      throw new Error(`run ${final.id} ended ${final.status}${final.error ? `: ${final.error}` : ''}`);
    const { metrics } = await evaluator.getRunMetrics({ runId: final.id });
    if (!metrics) throw new Error(`the evaluator has no metrics for run ${final.id}`);
    const { split } = await splitter.getSplit({ id: final.splitId }).catch((error: unknown) => {
      throw new RemoteError(error);
    });
    return {
      runId: final.id,
      config: JSON.parse(final.configJson),
      lineage: final.lineage,
      classOrder: split?.classOrder ?? [],
      backend: { name: final.backend },
      accuracyMatrix: metrics.accuracyMatrix.map((row, t) =>
        Array.from({ length: metrics.accuracyMatrix.length }, (_, j) => (j <= t ? row.values[j] : null)),
      ),
      accuracies: metrics.accuracies,
      lastAcc: metrics.lastAcc,
      incAcc: metrics.incAcc,
      forgetting: metrics.forgetting,
      bwt: metrics.bwt,
      wallSeconds: (final.finishedAtMs - final.startedAtMs) / 1000,
      status: final.status,
      resumedCount: final.resumedCount,
    };
  } finally {
    splitter.close();
    trainer.close();
    evaluator.close();
  }
}
