import type { GetCatalogResponse, PublishedResult as WirePublished } from '@slca/contracts';
import type { PublishedResult, PublishedValue } from '@slca/metrics';

/*
 * The trainer's catalogue (GetCatalog), as the pages use it: method labels and order, benchmarks, golden
 * configurations and their published numbers. The dashboard keeps no copy of any of it.
 */
export type Catalog = Pick<GetCatalogResponse, 'methods' | 'benchmarks' | 'configurations'>;
export type CatalogConfiguration = Catalog['configurations'][number];
export type CatalogBenchmark = Catalog['benchmarks'][number];

/** What the pages show when the trainer cannot give its catalogue: method ids as labels, no numbers. */
export const EMPTY_CATALOG: Catalog = { methods: [], benchmarks: [], configurations: [] };

/** Method id → label, as the catalogue names them. */
export function methodLabels(catalog: Catalog): Record<string, string> {
  return Object.fromEntries(catalog.methods.map((m) => [m.id, m.label]));
}

export function methodLabel(labels: Readonly<Record<string, string>>, method: string): string {
  return labels[method] ?? method;
}

/** A configuration id without its version: `cifar100/in21k/slca@v3` → `cifar100/in21k/slca`. */
export function configurationPath(id: string): string {
  return id.split('@')[0];
}

/** The catalogue's configuration for an id, with or without its version. */
export function findConfiguration(catalog: Catalog, id: string): CatalogConfiguration | undefined {
  if (!id) return undefined;
  const path = configurationPath(id);
  return catalog.configurations.find((c) => configurationPath(c.id) === path);
}

/** The golden configuration of a benchmark, pre-training and method, if the catalogue has one. */
export function configurationFor(
  catalog: Catalog,
  benchmark: string,
  backbone: string,
  method: string,
): CatalogConfiguration | undefined {
  return catalog.configurations.find(
    (c) => c.benchmark === benchmark && c.backbone === backbone && c.method === method,
  );
}

/** A published number as the metrics library takes it, with whether the paper's figure is read off a plot. */
export interface Published extends PublishedResult {
  approximate: boolean;
  source: string;
}

/** The wire's published result (−1 standing for "none") as {@link Published}; undefined where there is none. */
export function publishedOf(p: WirePublished | null | undefined): Published | undefined {
  if (!p) return undefined;
  const value = (mean: number, std: number): PublishedValue | undefined =>
    mean < 0 ? undefined : std < 0 ? mean : { mean, std };
  return {
    lastAcc: value(p.lastAcc, p.lastAccStd),
    incAcc: value(p.incAcc, p.incAccStd),
    approximate: p.approximate,
    source: p.source,
  };
}

/** The index of a method in the catalogue's (the paper's) order; unknown methods last. */
export function methodRank(catalog: Catalog, method: string): number {
  const k = catalog.methods.findIndex((m) => m.id === method);
  return k < 0 ? catalog.methods.length : k;
}

export function benchmarkRank(catalog: Catalog, benchmark: string): number {
  const k = catalog.benchmarks.findIndex((b) => b.id === benchmark);
  return k < 0 ? catalog.benchmarks.length : k;
}

export function benchmarkTitle(catalog: Catalog, benchmark: string): string {
  return catalog.benchmarks.find((b) => b.id === benchmark)?.title ?? benchmark;
}
