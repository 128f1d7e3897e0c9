import { basename, join } from 'node:path';
import {
  BENCHMARK_CATALOG,
  configurationId,
  configurationSpec,
  findConfiguration,
  METHOD_LABELS,
  PAPER_METHODS,
  type ExperimentSpec,
  type Method,
} from '@slca/engine';
import { markdownTable, summariseRuns, type PublishedResult } from '@slca/metrics';
import { DEFAULT_REGISTRY_DIR, parseArchFlag, runExperimentLocally } from '../experiments';
import { checkWritable, parseInteger, parseList, UsageError, writeFileAtomic, writeJson } from '../io';
import { paperReproduce } from './paper-reproduce';
import { DEFAULT_EVALUATOR, DEFAULT_SPLITTER, DEFAULT_TRAINER, remoteRun } from './remote';
import { checkBackend, experimentFromFlags } from './run';

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
  /** Submit every (method, seed) to the trainer; the table is built from the platform's runs. */
  remote?: boolean;
  trainer?: string;
  evaluator?: string;
  splitter?: string;
  /** With --remote: the registered dataset and backbone (default: the configuration's names). */
  dataset?: string;
  backboneName?: string;
  registry?: string;
  /** With --remote: `path=value` overrides of every run's experiment. */
  set?: string[];
}

/**
 * `reproduce --benchmark embedded` (Split Emoji with the shipped backbone), or a paper benchmark on a
 * dataset imported with `slca dataset import` (its format says which benchmark) with `--weights`.
 */
export async function reproduceCommand(flags: ReproduceFlags): Promise<void> {
  if (flags.remote)
    return reproduceCatalog({
      ...flags,
      outDir: flags.outDir ?? `results/reproduce-${flags.benchmark}-remote`,
    });
  for (const flag of ['dataset', 'backboneName'] as const)
    if (flags[flag] !== undefined)
      throw new UsageError(`--${flag === 'dataset' ? 'dataset' : 'backbone-name'} needs --remote`);
  if (flags.benchmark === 'embedded') {
    for (const flag of ['weights', 'backbone', 'arch', 'shards', 'transformWorkers'] as const)
      if (flags[flag] !== undefined)
        throw new UsageError(
          `--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is for a paper benchmark imported with 'slca dataset import'; --benchmark embedded uses the shipped backbone`,
        );
    return reproduceCatalog({ ...flags, outDir: flags.outDir ?? 'results/reproduce-embedded' });
  }
  if (flags.set?.length) throw new UsageError('--set needs --remote (or --benchmark embedded)');
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
    methods: methodsFlag(flags.methods, PAPER_METHODS, false),
    outDir,
    backend: checkBackend(flags.backend),
    workers: flags.workers === undefined ? undefined : parseInteger(flags.workers, '--workers', 0),
    shards: flags.shards === undefined ? undefined : parseInteger(flags.shards, '--shards', 1),
    transformWorkers:
      flags.transformWorkers === undefined ? undefined : parseTransformWorkers(flags.transformWorkers),
    epochs: flags.epochs === undefined ? undefined : parseInteger(flags.epochs, '--epochs', 1),
  });
}

/** `--methods a,b` or `--methods all` (every method the benchmark has a configuration for, in catalogue order). */
export function methodsFlag<T extends string>(value: string, all: readonly T[], check: boolean): T[] {
  if (value.trim() === 'all') return [...all];
  return parseList<T>(value, '--methods', check ? all : undefined);
}

/** What the paper publishes for a configuration, as the table's published column takes it. */
function publishedOf(id: string): PublishedResult | undefined {
  const p = findConfiguration(id).published;
  if (!p) return undefined;
  return {
    lastAcc: p.lastAccStd === undefined ? p.lastAcc : { mean: p.lastAcc, std: p.lastAccStd },
    ...(p.incAcc === undefined
      ? {}
      : { incAcc: p.incAccStd === undefined ? p.incAcc : { mean: p.incAcc, std: p.incAccStd } }),
  };
}

/**
 * Every method over every seed of a catalogue benchmark's golden configurations — in this process, or
 * with --remote submitted to the trainer and read back from the platform's runs — then the paper-style
 * table (mean ± std over seeds, beside the published number where there is one) as Markdown and JSON.
 */
async function reproduceCatalog(flags: ReproduceFlags & { outDir: string }): Promise<void> {
  const benchmark = BENCHMARK_CATALOG.find((b) => b.id === flags.benchmark);
  if (!benchmark)
    throw new UsageError(
      `--benchmark '${flags.benchmark}': with --remote, one of ${BENCHMARK_CATALOG.map((b) => b.id).join(', ')}`,
    );
  const kind = flags.backbone ?? benchmark.backbones[0];
  if (!benchmark.backbones.includes(kind))
    throw new UsageError(`--backbone must be one of ${benchmark.backbones.join(', ')}, got '${kind}'`);
  if (flags.weights !== undefined)
    throw new UsageError(
      '--weights is for a local paper reproduction (without --remote): register the weights instead',
    );
  const arch = flags.arch === undefined ? undefined : parseArchFlag(flags.arch);
  const seeds = parseList(flags.seeds, '--seeds').map((s) => parseInteger(s, '--seeds', 0));
  const methods = methodsFlag<Method>(flags.methods, benchmark.methods, true);
  checkBackend(flags.backend);
  checkWritable(join(flags.outDir, 'table.md'), '--out-dir');
  const runs: {
    method: string;
    configuration: string;
    seed: number;
    lastAcc: number;
    incAcc: number;
    runId?: string;
    forgetting: number;
    bwt: number;
    wallSeconds: number;
    backend: string;
  }[] = [];
  // Seed-major, so that a first full row of methods is available early.
  for (const seed of seeds) {
    for (const method of methods) {
      const id = configurationId(benchmark.id, kind, method);
      const spec: ExperimentSpec = experimentFromFlags(
        {
          benchmark: benchmark.id,
          out: '',
          backend: flags.backend,
          workers: flags.workers,
          epochs: flags.epochs,
          trainer: '',
          evaluator: '',
          set: [
            ...(flags.dataset ? [`dataset=${flags.dataset}`] : []),
            ...(flags.backboneName ? [`backbone=${flags.backboneName}`] : []),
            ...(flags.shards ? [`compute.shards=${parseInteger(flags.shards, '--shards', 1)}`] : []),
            ...(flags.set ?? []),
          ],
        },
        configurationSpec(id, seed, arch),
      );
      const label = `${method} seed ${seed}`;
      const result = flags.remote
        ? await remoteRun({
            trainer: flags.trainer ?? DEFAULT_TRAINER,
            evaluator: flags.evaluator ?? DEFAULT_EVALUATOR,
            splitter: flags.splitter ?? DEFAULT_SPLITTER,
            runId: `${benchmark.id}-${kind}-${method}-seed${seed}${flags.epochs ? `-e${flags.epochs}` : ''}`,
            method,
            seed,
            experimentJson: JSON.stringify(spec),
            tags: ['reproduce'],
          })
        : await runExperimentLocally(spec, {
            datasetsDir: flags.datasetsDir,
            registryDir: flags.registry ?? DEFAULT_REGISTRY_DIR,
            label,
          });
      writeJson(join(flags.outDir, `${method}-seed${seed}.json`), result);
      process.stderr.write(
        `${METHOD_LABELS[method]} seed ${seed}: Last-Acc ${result.lastAcc.toFixed(2)}  Inc-Acc ${result.incAcc.toFixed(2)}\n`,
      );
      runs.push({
        method: METHOD_LABELS[method],
        configuration: id,
        seed,
        lastAcc: result.lastAcc,
        incAcc: result.incAcc,
        ...('runId' in result ? { runId: result.runId } : {}),
        forgetting: result.forgetting,
        bwt: result.bwt,
        wallSeconds: result.wallSeconds,
        backend: result.backend.name,
      });
    }
  }
  const order = (label: string) => methods.findIndex((m) => METHOD_LABELS[m] === label);
  runs.sort((a, b) => order(a.method) - order(b.method) || seeds.indexOf(a.seed) - seeds.indexOf(b.seed));
  const rows = summariseRuns(
    runs.map(({ method, seed, lastAcc, incAcc }) => ({ method, seed, lastAcc, incAcc })),
  );
  const published = Object.fromEntries(
    methods.flatMap((m) => {
      const p = publishedOf(configurationId(benchmark.id, kind, m));
      return p ? [[METHOD_LABELS[m], p]] : [];
    }),
  );
  // Paper columns only where the paper publishes something for these rows.
  const table = markdownTable(rows, {
    columns: ['lastAcc', 'incAcc', 'seeds'],
    ...(Object.keys(published).length ? { published } : {}),
  });
  const backendName = runs[0]?.backend ?? flags.backend;
  const header =
    `${benchmark.title}${flags.remote ? ' through the platform' : ''}, configurations ${methods.map((m) => configurationId(benchmark.id, kind, m)).join(', ')}; ` +
    `${seeds.length} seed(s): ${seeds.join(', ')}; backend ${backendName}.\n` +
    `Last-Acc = A_T, Inc-Acc = mean_t A_t (%), mean ± std over seeds (numpy std, ddof 0).` +
    (Object.keys(published).length ? ' Δ = ours − paper.' : '') +
    (methods.includes('joint')
      ? ' Joint trains every class as one task, so its Inc-Acc is its Last-Acc.'
      : '') +
    (flags.epochs
      ? ` Stage-1 epochs overridden to ${flags.epochs}: a smoke run, not the configuration.`
      : '') +
    `\n\n`;
  writeFileAtomic(join(flags.outDir, 'table.md'), `${header}${table}\n`);
  writeJson(join(flags.outDir, 'table.json'), {
    benchmark: flags.benchmark,
    remote: flags.remote ?? false,
    seeds,
    backend: backendName,
    rows,
    published,
    runs,
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
