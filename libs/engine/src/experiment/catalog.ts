import { embeddedConfig } from '../benchmarks/embedded';
import {
  PAPER_BACKBONES,
  PAPER_BENCHMARKS,
  PAPER_CONFIG_VERSION,
  PAPER_METHODS,
  PAPER_SETUP,
  PUBLISHED,
  paperConfig,
  paperTestTransform,
  type PaperBackbone,
  type PaperBenchmark,
  type PublishedNumber,
} from '../benchmarks/paper';
import { METHOD_REGISTRY } from '../methods/registry';
import { METHODS, type ExperimentConfig, type Method } from '../slca/config';
import type { VitArch } from '@slca/compute';
import type { BenchmarkId } from './names';
import { EXPERIMENT_SCHEMA, type ExperimentSpec } from './schema';

/**
 * The one catalogue of what the platform can run: methods, benchmarks and their golden configurations
 * (with the published number where the paper gives one). The CLI, the trainer, the golden files under
 * `exps/` and the dashboard (through the trainer's GetCatalog) all read it.
 */
export const EMBEDDED_CONFIG_VERSION = 1;
/** The name the embedded backbone is registered under (the stack registers it when it starts). */
export const EMBEDDED_BACKBONE_NAME = 'vit-emoji';
/** The splitter's name for the embedded dataset (Split Emoji). */
export const EMBEDDED_DATASET_NAME = 'split-emoji';
export const DEFAULT_SEED = 1993;

export interface MethodEntry {
  id: Method;
  label: string;
  description: string;
}

/** The registry's methods (`methods/registry.ts`), in table order. */
export const METHOD_CATALOG: readonly MethodEntry[] = METHOD_REGISTRY.map((m) => ({
  id: m.id,
  label: m.label,
  description: m.description,
}));

export interface BenchmarkEntry {
  id: BenchmarkId;
  title: string;
  classes: number;
  initClasses: number;
  increment: number;
  /** The dataset name a configuration uses unless the experiment names another. */
  defaultDataset: string;
  /** Pre-trainings with golden configurations (backbone registry names). */
  backbones: readonly string[];
  methods: readonly Method[];
}

export const BENCHMARK_CATALOG: readonly BenchmarkEntry[] = [
  {
    id: 'embedded',
    title: 'Split Emoji (embedded)',
    classes: 30,
    initClasses: 3,
    increment: 3,
    defaultDataset: EMBEDDED_DATASET_NAME,
    backbones: [EMBEDDED_BACKBONE_NAME],
    methods: METHODS,
  },
  ...PAPER_BENCHMARKS.map((id) => ({
    id,
    title: PAPER_SETUP[id].title,
    classes: PAPER_SETUP[id].classes,
    initClasses: PAPER_SETUP[id].initClasses,
    increment: PAPER_SETUP[id].increment,
    defaultDataset: id,
    backbones: PAPER_BACKBONES,
    methods: PAPER_METHODS,
  })),
];

export interface ConfigurationEntry {
  /** `<benchmark>/<backbone>/<method>@v<version>`, e.g. `cifar100/in21k/slca@v3`. */
  id: string;
  version: number;
  benchmark: BenchmarkId;
  backbone: string;
  method: Method;
  published: PublishedNumber | null;
}

function versionOf(benchmark: BenchmarkId): number {
  return benchmark === 'embedded' ? EMBEDDED_CONFIG_VERSION : PAPER_CONFIG_VERSION;
}

export function configurationId(benchmark: BenchmarkId, backbone: string, method: Method): string {
  return `${benchmark}/${backbone}/${method}@v${versionOf(benchmark)}`;
}

/** Every golden configuration: the embedded benchmark's methods, then the paper's rows. */
export function configurationCatalog(): ConfigurationEntry[] {
  return BENCHMARK_CATALOG.flatMap((b) =>
    b.backbones.flatMap((backbone) =>
      b.methods.map((method) => ({
        id: configurationId(b.id, backbone, method),
        version: versionOf(b.id),
        benchmark: b.id,
        backbone,
        method,
        published:
          b.id === 'embedded'
            ? null
            : (PUBLISHED[backbone as PaperBackbone][b.id as PaperBenchmark]?.[
                method as (typeof PAPER_METHODS)[number]
              ] ?? null),
      })),
    ),
  );
}

export class CatalogError extends Error {
  override name = 'CatalogError';
}

/**
 * A configuration by id: `cifar100/in21k/slca` or with its version (`…@v3`); an old version is refused,
 * since only the current values exist.
 */
export function findConfiguration(ref: string): ConfigurationEntry {
  const [path, version] = ref.split('@');
  const entry = configurationCatalog().find((c) => c.id.split('@')[0] === path);
  if (!entry) {
    const known = configurationCatalog().map((c) => c.id.split('@')[0]);
    throw new CatalogError(`unknown configuration "${ref}"; known: ${known.join(', ')}`);
  }
  if (version !== undefined && version !== `v${entry.version}`)
    throw new CatalogError(`configuration ${path} is at v${entry.version} now, not ${version}`);
  return entry;
}

/**
 * The full experiment of a golden configuration, for one seed. With another architecture (a smaller ViT
 * for a smoke run), the paper benchmarks' transforms are scaled to its input size, as `paperConfig` does.
 */
export function configurationSpec(ref: string, seed: number = DEFAULT_SEED, arch?: VitArch): ExperimentSpec {
  const entry = findConfiguration(ref);
  let config: ExperimentConfig;
  let testTransform: ExperimentSpec['testTransform'];
  let dataset: string;
  if (entry.benchmark === 'embedded') {
    config = embeddedConfig(entry.method, seed);
    if (arch) config.arch = { ...arch };
    testTransform = null;
    dataset = EMBEDDED_DATASET_NAME;
  } else {
    const benchmark = entry.benchmark as PaperBenchmark;
    config = paperConfig(
      benchmark,
      entry.backbone as PaperBackbone,
      entry.method as (typeof PAPER_METHODS)[number],
      seed,
      {},
      arch,
    );
    testTransform = paperTestTransform(benchmark, config.arch.imageSize);
    dataset = benchmark;
  }
  return {
    schema: EXPERIMENT_SCHEMA,
    configuration: { id: entry.id, version: entry.version },
    benchmark: entry.benchmark,
    dataset,
    backbone: entry.backbone,
    testTransform,
    ...config,
  };
}
