import { basename, join } from 'node:path';
import { METHOD_LABELS, METHODS, type ExperimentResult, type Method } from '@slca/engine';
import { markdownTable, summariseRuns } from '@slca/metrics';
import { checkWritable, parseInteger, parseList, UsageError, writeFileAtomic, writeJson } from '../io';
import { runEmbedded } from './embedded-run';
import { paperReproduce } from './paper-reproduce';
import { checkBackend, checkBenchmark } from './run';

export interface ReproduceFlags {
  benchmark: string;
  seeds: string;
  methods: string;
  /** Default: results/reproduce-<benchmark>. */
  outDir?: string;
  workers?: string;
  /** Imported benchmarks only: shards per batch (the golden configuration has 1). */
  shards?: string;
  /** Imported benchmarks only: worker threads for the training transforms. */
  transformWorkers?: string;
  backend: string;
  epochs?: string;
  /** Imported benchmarks only: the pre-trained backbone, its kind and its architecture. */
  weights?: string;
  backbone?: string;
  arch?: string;
  datasetsDir: string;
}

/**
 * `reproduce --benchmark embedded` (Split Emoji with the shipped backbone), or a paper benchmark on a
 * dataset imported with `slca dataset import` (its format says which benchmark) with `--weights`.
 */
export async function reproduceCommand(flags: ReproduceFlags): Promise<void> {
  if (flags.benchmark === 'embedded') {
    for (const flag of ['weights', 'backbone', 'arch', 'shards', 'transformWorkers'] as const)
      if (flags[flag] !== undefined)
        throw new UsageError(
          `--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is for a paper benchmark imported with 'slca dataset import'; --benchmark embedded uses the shipped backbone`,
        );
    return reproduceEmbedded({ ...flags, outDir: flags.outDir ?? 'results/reproduce-embedded' });
  }
  if (flags.weights === undefined)
    throw new UsageError(
      `--weights is required with --benchmark ${flags.benchmark} (a safetensors ViT with timm names, e.g. vit_in21k.safetensors)`,
    );
  const outDir = flags.outDir ?? join('results', `reproduce-${basename(flags.benchmark)}`);
  checkWritable(join(outDir, 'table.md'), '--out-dir');
  await paperReproduce({
    dataset: flags.benchmark,
    datasetsDir: flags.datasetsDir,
    weights: flags.weights,
    backbone: flags.backbone ?? 'in21k',
    arch: flags.arch ?? 'vit-b16',
    seeds: parseList(flags.seeds, '--seeds').map((s) => parseInteger(s, '--seeds', 0)),
    methods: parseList(flags.methods, '--methods'),
    outDir,
    backend: checkBackend(flags.backend),
    workers: flags.workers === undefined ? undefined : parseInteger(flags.workers, '--workers', 0),
    shards: flags.shards === undefined ? undefined : parseInteger(flags.shards, '--shards', 1),
    transformWorkers:
      flags.transformWorkers === undefined ? undefined : parseTransformWorkers(flags.transformWorkers),
    epochs: flags.epochs === undefined ? undefined : parseInteger(flags.epochs, '--epochs', 1),
  });
}

const methodOf = (label: string) =>
  (Object.keys(METHOD_LABELS) as Method[]).find((m) => METHOD_LABELS[m] === label) as Method;

/** Every method over every seed, then the paper-style table (mean ± std over seeds) as Markdown and JSON. */
async function reproduceEmbedded(flags: ReproduceFlags & { outDir: string }): Promise<void> {
  checkBenchmark(flags.benchmark);
  const seeds = parseList(flags.seeds, '--seeds').map((s) => parseInteger(s, '--seeds', 0));
  const methods = parseList<Method>(flags.methods, '--methods', METHODS);
  const backend = checkBackend(flags.backend);
  checkWritable(join(flags.outDir, 'table.md'), '--out-dir');
  const workers = flags.workers === undefined ? undefined : parseInteger(flags.workers, '--workers', 0);
  const epochs = flags.epochs === undefined ? undefined : parseInteger(flags.epochs, '--epochs', 1);
  const runs: { method: string; seed: number; lastAcc: number; incAcc: number; result: ExperimentResult }[] =
    [];
  // Seed-major, so that a first full row of methods is available early.
  for (const seed of seeds) {
    for (const method of methods) {
      const result = await runEmbedded({ method, seed, backend, workers, epochs });
      writeJson(join(flags.outDir, `${method}-seed${seed}.json`), result);
      process.stderr.write(
        `${METHOD_LABELS[method]} seed ${seed}: Last-Acc ${result.lastAcc.toFixed(2)}  Inc-Acc ${result.incAcc.toFixed(2)}\n`,
      );
      runs.push({
        method: METHOD_LABELS[method],
        seed,
        lastAcc: result.lastAcc,
        incAcc: result.incAcc,
        result,
      });
    }
  }
  runs.sort(
    (a, b) =>
      methods.indexOf(methodOf(a.method)) - methods.indexOf(methodOf(b.method)) ||
      seeds.indexOf(a.seed) - seeds.indexOf(b.seed),
  );
  const rows = summariseRuns(
    runs.map(({ method, seed, lastAcc, incAcc }) => ({ method, seed, lastAcc, incAcc })),
  );
  const table = markdownTable(rows, { columns: ['lastAcc', 'incAcc', 'seeds'] });
  const backendName = runs[0]?.result.backend.name ?? backend;
  const header =
    `Split Emoji (embedded default), ${seeds.length} seed(s): ${seeds.join(', ')}; backend ${backendName}.\n` +
    `Last-Acc = A_T, Inc-Acc = mean_t A_t (%), mean ± std over seeds (numpy std, ddof 0).` +
    (methods.includes('joint')
      ? ' Joint trains every class as one task, so its Inc-Acc is its Last-Acc.'
      : '') +
    `\n\n`;
  writeFileAtomic(join(flags.outDir, 'table.md'), `${header}${table}\n`);
  writeJson(join(flags.outDir, 'table.json'), {
    benchmark: flags.benchmark,
    seeds,
    backend: backendName,
    rows,
    runs: runs.map(({ method, seed, lastAcc, incAcc, result }) => ({
      method,
      seed,
      lastAcc,
      incAcc,
      forgetting: result.forgetting,
      bwt: result.bwt,
      wallSeconds: result.wallSeconds,
    })),
  });
  process.stdout.write(`${header}${table}\nwrote ${join(flags.outDir, 'table.md')} and table.json\n`);
}

/** Most transform threads a run may ask for: each holds a batch slice of decoded images. */
const MAX_TRANSFORM_WORKERS = 64;

function parseTransformWorkers(value: string): number {
  const n = parseInteger(value, '--transform-workers', 0);
  if (n > MAX_TRANSFORM_WORKERS)
    throw new UsageError(`--transform-workers must be at most ${MAX_TRANSFORM_WORKERS}, got ${n}`);
  return n;
}
