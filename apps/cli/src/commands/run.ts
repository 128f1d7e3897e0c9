import { extname } from 'node:path';
import {
  BENCHMARK_CATALOG,
  configurationId,
  configurationSpec,
  ExperimentSpecError,
  resolveExperiment,
  type ExperimentSpec,
  type Method,
} from '@slca/engine';
import { BACKEND_REQUESTS, type BackendRequest, type DeviceRequest } from '@slca/compute';
import { DEFAULT_DATASETS_DIR } from '../datasets';
import { DEFAULT_REGISTRY_DIR, readExperimentFile, runExperimentLocally } from '../experiments';
import { checkWritable, parseInteger, parseList, UsageError, writeJson } from '../io';
import { DEFAULT_SPLITTER, remoteRun } from './remote';

export interface RunFlags {
  benchmark: string;
  method?: string;
  seed?: string;
  out: string;
  workers?: string;
  device?: DeviceRequest;
  backend: string;
  epochs?: string;
  remote?: boolean;
  trainer: string;
  evaluator: string;
  splitter?: string;
  runId?: string;
  config?: string;
  set?: string[];
  datasetsDir?: string;
  registry?: string;
  transformWorkers?: string;
  json?: boolean;
}

/** What `run --json` prints: the numbers of the result (the whole result is in --out). */
function summary(r: {
  lastAcc: number;
  incAcc: number;
  forgetting: number;
  bwt: number;
  accuracies: number[];
  accuracyMatrix: unknown;
}) {
  return {
    lastAcc: r.lastAcc,
    incAcc: r.incAcc,
    forgetting: r.forgetting,
    bwt: r.bwt,
    accuracies: r.accuracies,
    accuracyMatrix: r.accuracyMatrix,
  };
}

export function checkBackend(backend: string): BackendRequest {
  if (!(BACKEND_REQUESTS as readonly string[]).includes(backend)) {
    throw new UsageError(`--backend must be one of ${BACKEND_REQUESTS.join(', ')}, got '${backend}'`);
  }
  return backend as BackendRequest;
}

/** commander's collector for a repeatable option. */
export const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * The experiment the flags describe: an experiment file (`--config`), or a benchmark's golden configuration
 * for `--method` (its first pre-training); then `--seed` and `--epochs` (milestones past the end dropped),
 * `--backend`, `--workers`, and `--set path=value` last. Every problem names its flag or field (exit 2).
 */
export function experimentFromFlags(flags: RunFlags, base?: ExperimentSpec): ExperimentSpec {
  let spec: ExperimentSpec;
  if (base) spec = structuredClone(base);
  else if (flags.config !== undefined) {
    if (flags.method !== undefined)
      throw new UsageError('--method: give it in the experiment file (or --set method=…)');
    spec = readExperimentFile(flags.config, []);
  } else {
    const benchmark = BENCHMARK_CATALOG.find((b) => b.id === flags.benchmark);
    if (!benchmark)
      throw new UsageError(
        `--benchmark '${flags.benchmark}': known benchmarks are ${BENCHMARK_CATALOG.map((b) => b.id).join(', ')} (or give an experiment file with --config)`,
      );
    if (flags.method === undefined) throw new UsageError('--method is required without --config');
    const [method, ...others] = parseList<Method>(flags.method, '--method', benchmark.methods);
    if (others.length)
      throw new Error('experimentFromFlags: one method at a time (runCommand splits a list)');
    spec = configurationSpec(configurationId(benchmark.id, benchmark.backbones[0], method));
  }
  if (flags.seed !== undefined) spec.seed = parseInteger(flags.seed, '--seed', 0);
  if (flags.epochs !== undefined) {
    const epochs = parseInteger(flags.epochs, '--epochs', 1);
    spec.stage1.epochs = epochs;
    spec.stage1.milestones = spec.stage1.milestones.filter((m) => m < epochs);
  }
  if (flags.backend !== 'auto') spec.compute.backend = checkBackend(flags.backend);
  if (flags.workers !== undefined) spec.compute.workers = parseInteger(flags.workers, '--workers', 0);
  if (flags.device !== undefined) spec.compute.device = flags.device;
  try {
    return resolveExperiment(spec, {
      source: flags.config ?? `--benchmark ${flags.benchmark}`,
      settings: flags.set ?? [],
    });
  } catch (error) {
    if (error instanceof ExperimentSpecError) throw new UsageError(error.message);
    throw error;
  }
}

/** `--out` of one method of a `--method a,b` list: `results/x.json` → `results/x-a.json`. */
export function outForMethod(out: string, method: string): string {
  const ext = extname(out);
  return `${ext ? out.slice(0, -ext.length) : out}-${method}${ext}`;
}

/**
 * `run`: one experiment. `--method a,b,…` (without --config) runs each method in turn, in this order, each
 * to its own result file (see outForMethod) — every method and flag is checked before the first runs.
 */
export async function runCommand(flags: RunFlags): Promise<void> {
  const methods =
    flags.config === undefined && flags.method !== undefined ? parseList(flags.method, '--method') : [];
  if (methods.length > 1) {
    const twice = methods.find((m, i) => methods.indexOf(m) !== i);
    if (twice !== undefined)
      throw new UsageError(`--method: '${twice}' is listed twice (each method writes its own result file)`);
    if (flags.runId !== undefined)
      throw new UsageError(
        `--run-id names one run; with ${methods.length} methods let the trainer name them`,
      );
    const runs = methods.map((method) => ({ ...flags, method, out: outForMethod(flags.out, method) }));
    // Everything checked before anything runs: a typo in the last method costs nothing.
    for (const run of runs) {
      checkWritable(run.out, '--out');
      experimentFromFlags(run);
    }
    for (const run of runs) await runCommand(run);
    return;
  }
  checkWritable(flags.out, '--out');
  // The older inline form: a JSON object of overrides merged on the trainer (kept for scripts).
  const inlineOverrides = flags.config?.trimStart().startsWith('{') ? flags.config : undefined;
  if (inlineOverrides !== undefined && !flags.remote)
    throw new UsageError(
      '--config takes an experiment file (YAML or JSON); change settings with --set path=value',
    );
  if (flags.remote) {
    const spec = inlineOverrides === undefined ? experimentFromFlags(flags) : undefined;
    const method = spec?.method ?? flags.method ?? '';
    const seed = spec?.seed ?? parseInteger(flags.seed ?? '1993', '--seed', 0);
    const remote = await remoteRun({
      trainer: flags.trainer,
      evaluator: flags.evaluator,
      splitter: flags.splitter ?? DEFAULT_SPLITTER,
      runId: flags.runId ?? '',
      method,
      seed,
      ...(spec
        ? { experimentJson: JSON.stringify(spec) }
        : {
            epochs: flags.epochs === undefined ? undefined : parseInteger(flags.epochs, '--epochs', 1),
            configOverridesJson: inlineOverrides,
          }),
    });
    writeJson(flags.out, remote);
    if (flags.json) {
      const line = { method, seed, runId: remote.runId, backend: remote.backend.name, out: flags.out };
      process.stdout.write(`${JSON.stringify({ ...line, ...summary(remote) })}\n`);
      return;
    }
    process.stdout.write(
      `${method} seed ${seed} (run ${remote.runId}) on ${remote.backend.name}: Last-Acc ${remote.lastAcc.toFixed(2)}  ` +
        `Inc-Acc ${remote.incAcc.toFixed(2)}  forgetting ${remote.forgetting.toFixed(2)}  BWT ${remote.bwt.toFixed(2)}\nwrote ${flags.out}\n`,
    );
    return;
  }
  if (flags.runId !== undefined) throw new UsageError('--run-id needs --remote');
  const spec = experimentFromFlags(flags);
  const result = await runExperimentLocally(spec, {
    datasetsDir: flags.datasetsDir ?? DEFAULT_DATASETS_DIR,
    registryDir: flags.registry ?? DEFAULT_REGISTRY_DIR,
    transformWorkers:
      flags.transformWorkers === undefined
        ? undefined
        : parseInteger(flags.transformWorkers, '--transform-workers', 0),
  });
  writeJson(flags.out, {
    ...result,
    backbone: { name: result.lineage.backbone, sha256: result.lineage.backboneDigest },
  });
  if (flags.json) {
    const line = {
      method: spec.method,
      seed: spec.seed,
      backend: result.backend.name,
      device: result.device.name,
      out: flags.out,
    };
    process.stdout.write(`${JSON.stringify({ ...line, ...summary(result) })}\n`);
    return;
  }
  process.stdout.write(
    `${spec.method} seed ${spec.seed} on ${result.device.name === 'wasm' ? result.backend.name : `${result.device.name} + ${result.backend.name}`}: Last-Acc ${result.lastAcc.toFixed(2)}  Inc-Acc ${result.incAcc.toFixed(2)}  ` +
      `forgetting ${result.forgetting.toFixed(2)}  BWT ${result.bwt.toFixed(2)}  (${result.wallSeconds.toFixed(0)} s)\nwrote ${flags.out}\n`,
  );
}
