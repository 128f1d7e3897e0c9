import { BACKEND_REQUESTS, METHODS, type BackendRequest, type Method } from '@slca/engine';
import { checkWritable, parseInteger, parseList, UsageError, writeJson } from '../io';
import { runEmbedded } from './embedded-run';
import { remoteRun } from './remote';

export interface RunFlags {
  benchmark: string;
  method: string;
  seed: string;
  out: string;
  workers?: string;
  backend: string;
  epochs?: string;
  remote?: boolean;
  trainer: string;
  evaluator: string;
  runId?: string;
  config?: string;
}

export function checkBenchmark(benchmark: string): void {
  if (benchmark !== 'embedded') {
    throw new UsageError(
      `--benchmark '${benchmark}' is not available: 'run' runs 'embedded' (Split Emoji); a paper benchmark runs with 'slca reproduce --benchmark <dataset imported with slca dataset import> --weights FILE'`,
    );
  }
}

export function checkBackend(backend: string): BackendRequest {
  if (!(BACKEND_REQUESTS as readonly string[]).includes(backend)) {
    throw new UsageError(`--backend must be one of ${BACKEND_REQUESTS.join(', ')}, got '${backend}'`);
  }
  return backend as BackendRequest;
}

export async function runCommand(flags: RunFlags): Promise<void> {
  checkBenchmark(flags.benchmark);
  const [method] = parseList<Method>(flags.method, '--method', METHODS);
  const seed = parseInteger(flags.seed, '--seed', 0);
  checkWritable(flags.out, '--out');
  const epochs = flags.epochs === undefined ? undefined : parseInteger(flags.epochs, '--epochs', 1);
  if (flags.remote) {
    const remote = await remoteRun({
      trainer: flags.trainer,
      evaluator: flags.evaluator,
      runId: flags.runId ?? '',
      method,
      seed,
      epochs,
      configOverridesJson: flags.config,
    });
    writeJson(flags.out, remote);
    process.stdout.write(
      `${method} seed ${seed} (run ${remote.runId}) on ${remote.backend.name}: Last-Acc ${remote.lastAcc.toFixed(2)}  ` +
        `Inc-Acc ${remote.incAcc.toFixed(2)}  forgetting ${remote.forgetting.toFixed(2)}  BWT ${remote.bwt.toFixed(2)}\nwrote ${flags.out}\n`,
    );
    return;
  }
  if (flags.runId !== undefined || flags.config !== undefined)
    throw new UsageError('--run-id and --config need --remote');
  const result = await runEmbedded({
    method,
    seed,
    backend: checkBackend(flags.backend),
    workers: flags.workers === undefined ? undefined : parseInteger(flags.workers, '--workers', 0),
    epochs,
  });
  writeJson(flags.out, result);
  process.stdout.write(
    `${method} seed ${seed} on ${result.backend.name}: Last-Acc ${result.lastAcc.toFixed(2)}  Inc-Acc ${result.incAcc.toFixed(2)}  ` +
      `forgetting ${result.forgetting.toFixed(2)}  BWT ${result.bwt.toFixed(2)}  (${result.wallSeconds.toFixed(0)} s)\nwrote ${flags.out}\n`,
  );
}
