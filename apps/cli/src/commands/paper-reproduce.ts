import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { decodeResizeCenterCrop, scaleTransforms, sha256File, type ImportFormat } from '@slca/data';
import {
  loadBackbone,
  TransformPool,
  loadManifestSource,
  METHOD_LABELS,
  PAPER_BACKBONES,
  PAPER_CONFIG_VERSION,
  PAPER_METHODS,
  PAPER_SETUP,
  PUBLISHED,
  paperConfig,
  paperConfigurationId,
  paperTestTransform,
  runExperiment,
  type ExperimentData,
  type ExperimentResult,
  type PaperBackbone,
  type PaperBenchmark,
  type PaperMethod,
} from '@slca/engine';
import { initBackend, parseArch, type BackendRequest, type VitArch } from '@slca/compute';
import { markdownTable, summariseRuns, type PublishedResult } from '@slca/metrics';
import { loadImportedDataset, type LoadedDataset } from '../datasets';
import { UsageError, writeFileAtomic, writeJson } from '../io';
import { ExperimentProgress } from '../progress';

/** The paper benchmark an imported dataset belongs to, from the format it was imported in. */
const BENCHMARK_OF_FORMAT: Record<ImportFormat, PaperBenchmark> = {
  cifar100: 'cifar100',
  'imagenet-r': 'imagenet-r',
  cub200: 'cub200',
  cars196: 'cars196',
};

export interface PaperReproduceOptions {
  /** An imported dataset's name (or folder). */
  dataset: string;
  datasetsDir: string;
  weights: string;
  backbone: string;
  arch: string;
  seeds: number[];
  methods: string[];
  outDir: string;
  backend: BackendRequest;
  workers?: number;
  /** Shards per batch (default: the golden configuration's 1). */
  shards?: number;
  /**
   * Worker threads for the training transforms (0 = the calling thread). Default: 0 on wasm and cpu, whose
   * compute workers already use the cores; on the tensorflow backend every core but one, at most 8.
   */
  transformWorkers?: number;
  epochs?: number;
}

interface PaperRun {
  method: PaperMethod;
  seed: number;
  result: ExperimentResult;
}

/** Everything a paper reproduction needs, checked before any image is decoded; user errors name their flag. */
function prepare(opts: PaperReproduceOptions) {
  let dataset: LoadedDataset;
  try {
    dataset = loadImportedDataset(opts.dataset, opts.datasetsDir);
  } catch (error) {
    throw new UsageError(`--benchmark ${opts.dataset}: ${(error as Error).message}`);
  }
  const benchmark = BENCHMARK_OF_FORMAT[dataset.record.format];
  const setup = PAPER_SETUP[benchmark];
  if (dataset.manifest.classes.length < setup.initClasses)
    throw new UsageError(
      `--benchmark ${opts.dataset}: ${dataset.manifest.classes.length} classes, but ${setup.title} starts with a task of ${setup.initClasses}`,
    );
  if (!(PAPER_BACKBONES as readonly string[]).includes(opts.backbone))
    throw new UsageError(`--backbone must be one of ${PAPER_BACKBONES.join(', ')}, got '${opts.backbone}'`);
  const backbone = opts.backbone as PaperBackbone;
  for (const m of opts.methods)
    if (!(PAPER_METHODS as readonly string[]).includes(m))
      throw new UsageError(
        `--methods: '${m}' has no paper configuration (expected ${PAPER_METHODS.join(', ')} with an imported benchmark)`,
      );
  let arch: VitArch;
  try {
    arch = parseArch(opts.arch);
  } catch (error) {
    throw new UsageError(`--arch: ${(error as Error).message}`);
  }
  if (!existsSync(opts.weights) || !statSync(opts.weights).isFile())
    throw new UsageError(`--weights ${opts.weights}: no such file`);
  return { dataset, benchmark, setup, backbone, arch, methods: opts.methods as PaperMethod[] };
}

/** What the paper publishes for each method, keyed by the table's method label. */
function publishedByLabel(
  benchmark: PaperBenchmark,
  backbone: PaperBackbone,
  methods: readonly PaperMethod[],
): Record<string, PublishedResult> {
  const out: Record<string, PublishedResult> = {};
  for (const method of methods) {
    const p = PUBLISHED[backbone][benchmark]?.[method];
    if (!p) continue;
    out[METHOD_LABELS[method]] = {
      lastAcc: p.lastAccStd === undefined ? p.lastAcc : { mean: p.lastAcc, std: p.lastAccStd },
      ...(p.incAcc === undefined
        ? {}
        : { incAcc: p.incAccStd === undefined ? p.incAcc : { mean: p.incAcc, std: p.incAccStd } }),
    };
  }
  return out;
}

/**
 * A paper benchmark on an imported dataset: every method over every seed with its golden configuration
 * (`paperConfig`), then the table beside the published numbers with the difference, as Markdown and JSON.
 * Each run's JSON names its configuration id, the dataset's manifest digest and the weights' sha256.
 */
export async function paperReproduce(opts: PaperReproduceOptions): Promise<void> {
  const { dataset, benchmark, setup, backbone, arch, methods } = prepare(opts);
  let weights: Float32Array;
  try {
    weights = (await loadBackbone(opts.weights, arch)).values;
  } catch (error) {
    throw new UsageError(`--weights ${opts.weights}: ${(error as Error).message}`);
  }
  const weightsSha256 = sha256File(opts.weights);
  const transform = paperTestTransform(benchmark, arch.imageSize);
  const trainTransforms = scaleTransforms(setup.train, arch.imageSize);
  process.stderr.write(
    `${dataset.record.name}: ${dataset.manifest.train.length} train / ${dataset.manifest.test.length} test images, ` +
      `decoded per batch — train: ${trainTransforms.map((s) => s.op).join(' → ')}; ` +
      `test and class statistics: resize ${transform.resize} → centre crop ${transform.crop}\n`,
  );
  const backendName = (await initBackend(opts.backend)).name;
  const transformWorkers =
    opts.transformWorkers ??
    (backendName === 'tensorflow' ? Math.max(0, Math.min(8, availableParallelism() - 1)) : 0);
  const transformPool = transformWorkers > 0 ? await TransformPool.create(transformWorkers) : undefined;
  if (transformPool) process.stderr.write(`training transforms on ${transformWorkers} worker threads\n`);
  try {
    const data: ExperimentData = loadManifestSource(
      dataset.manifest,
      arch.imageSize,
      (inputs) => decodeResizeCenterCrop(inputs, transform),
      dataset.resolve,
      { transformPool },
    );
    const provenance = {
      benchmark,
      backbone,
      configVersion: PAPER_CONFIG_VERSION,
      dataset: {
        name: dataset.record.name,
        format: dataset.record.format,
        manifestDigest: dataset.record.manifestDigest,
        classes: dataset.manifest.classes.length,
        train: dataset.manifest.train.length,
        test: dataset.manifest.test.length,
      },
      weights: { file: resolve(opts.weights), sha256: weightsSha256 },
      arch,
      trainTransforms,
      testTransform: transform,
      epochsOverride: opts.epochs ?? null,
    };

    const runs: PaperRun[] = [];
    for (const seed of opts.seeds) {
      for (const method of methods) {
        const config = paperConfig(
          benchmark,
          backbone,
          method,
          seed,
          {
            backend: opts.backend,
            ...(opts.workers === undefined ? {} : { workers: opts.workers }),
            ...(opts.shards === undefined ? {} : { shards: opts.shards }),
          },
          arch,
        );
        const epochs = opts.epochs;
        if (epochs !== undefined) {
          config.stage1.epochs = epochs;
          config.stage1.milestones = config.stage1.milestones.filter((m) => m < epochs);
        }
        const progress = new ExperimentProgress(`${method} seed ${seed}`);
        let result: ExperimentResult;
        try {
          result = await runExperiment(config, data, weights, { onProgress: (e) => progress.update(e) });
        } finally {
          progress.stop();
        }
        writeJson(join(opts.outDir, `${method}-seed${seed}.json`), {
          configuration: paperConfigurationId(benchmark, backbone, method),
          ...provenance,
          ...result,
        });
        process.stderr.write(
          `${METHOD_LABELS[method]} seed ${seed}: Last-Acc ${result.lastAcc.toFixed(2)}  Inc-Acc ${result.incAcc.toFixed(2)}\n`,
        );
        runs.push({ method, seed, result });
      }
    }
    runs.sort(
      (a, b) =>
        methods.indexOf(a.method) - methods.indexOf(b.method) ||
        opts.seeds.indexOf(a.seed) - opts.seeds.indexOf(b.seed),
    );
    const rows = summariseRuns(
      runs.map(({ method, seed, result }) => ({
        method: METHOD_LABELS[method],
        seed,
        lastAcc: result.lastAcc,
        incAcc: result.incAcc,
      })),
    );
    const published = publishedByLabel(benchmark, backbone, methods);
    const table = markdownTable(rows, { columns: ['lastAcc', 'incAcc', 'seeds'], published });
    const backendName = runs[0]?.result.backend.name ?? opts.backend;
    const notes = [
      `${setup.title} (${setup.tasks} tasks) on dataset ${dataset.record.name} (manifest ${dataset.record.manifestDigest.slice(0, 12)}), ` +
        `${backbone} weights ${opts.weights} (sha256 ${weightsSha256.slice(0, 12)}), ` +
        `configuration v${PAPER_CONFIG_VERSION}; ${opts.seeds.length} seed(s): ${opts.seeds.join(', ')}; backend ${backendName}.`,
      `Last-Acc = A_T, Inc-Acc = mean_t A_t (%), mean ± std over seeds (numpy std, ddof 0); Δ = ours − paper.`,
    ];
    if (opts.epochs !== undefined)
      notes.push(
        `Stage-1 epochs overridden to ${opts.epochs} (paper: ${setup.stage1[backbone].epochs}): a smoke run, not the paper's configuration.`,
      );
    if (arch.imageSize !== 224 || arch.dim !== 768 || arch.depth !== 12)
      notes.push(
        `Backbone architecture ${JSON.stringify(arch)} is not ViT-B/16: the published numbers do not apply.`,
      );
    if (methods.includes('seqft') && PUBLISHED[backbone][benchmark]?.seqft?.approximate)
      notes.push(`The published Seq FT number is approximate (≈).`);
    if (Object.keys(published).length === 0)
      notes.push(
        `The SLCA paper publishes no ${backbone} numbers for these methods on ${setup.title} ("–"; docs/method.md §13).`,
      );
    notes.push(
      `Stage 1 augments every batch: ${trainTransforms.map((s) => s.op).join(' → ')}; evaluation and class statistics use resize ${transform.resize} → centre crop ${transform.crop}.`,
    );
    const header = `${notes.join('\n')}\n\n`;
    writeFileAtomic(join(opts.outDir, 'table.md'), `${header}${table}\n`);
    writeJson(join(opts.outDir, 'table.json'), {
      ...provenance,
      seeds: opts.seeds,
      methods,
      configurations: methods.map((m) => paperConfigurationId(benchmark, backbone, m)),
      backend: backendName,
      rows,
      published: Object.fromEntries(
        methods.map((m) => [METHOD_LABELS[m], PUBLISHED[backbone][benchmark]?.[m] ?? null]),
      ),
      comparison: rows.map((row) => {
        const p = methods.map((m) => PUBLISHED[backbone][benchmark]?.[m]);
        const paper = p[methods.findIndex((m) => METHOD_LABELS[m] === row.method)];
        return {
          method: row.method,
          lastAcc: row.lastAcc.mean,
          publishedLastAcc: paper?.lastAcc ?? null,
          deltaLastAcc: paper ? row.lastAcc.mean - paper.lastAcc : null,
          incAcc: row.incAcc.mean,
          publishedIncAcc: paper?.incAcc ?? null,
          deltaIncAcc: paper?.incAcc === undefined ? null : row.incAcc.mean - paper.incAcc,
        };
      }),
      runs: runs.map(({ method, seed, result }) => ({
        method: METHOD_LABELS[method],
        configuration: paperConfigurationId(benchmark, backbone, method),
        seed,
        lastAcc: result.lastAcc,
        incAcc: result.incAcc,
        accuracies: result.accuracies,
        forgetting: result.forgetting,
        bwt: result.bwt,
        wallSeconds: result.wallSeconds,
      })),
    });
    process.stdout.write(`${header}${table}\nwrote ${join(opts.outDir, 'table.md')} and table.json\n`);
  } finally {
    await transformPool?.close();
  }
}
