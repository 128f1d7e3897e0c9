import type { GetCatalogResponse, PublishedResult } from '@slca/contracts';
import {
  BENCHMARK_CATALOG,
  configurationCatalog,
  configurationSpec,
  experimentJsonSchema,
  METHOD_CATALOG,
  type ConfigurationEntry,
} from '@slca/engine';

function published(p: ConfigurationEntry['published']): PublishedResult | undefined {
  if (!p) return undefined;
  return {
    lastAcc: p.lastAcc,
    lastAccStd: p.lastAccStd ?? -1,
    incAcc: p.incAcc ?? -1,
    incAccStd: p.incAccStd ?? -1,
    approximate: p.approximate ?? false,
    source: p.source,
  };
}

let cached: GetCatalogResponse | undefined;

/** The engine's catalogue on the wire: what the dashboard lists and starts runs from. */
export function catalogResponse(): GetCatalogResponse {
  cached ??= {
    methods: METHOD_CATALOG.map((m) => ({ id: m.id, label: m.label, description: m.description })),
    benchmarks: BENCHMARK_CATALOG.map((b) => ({
      id: b.id,
      title: b.title,
      classes: b.classes,
      initClasses: b.initClasses,
      increment: b.increment,
      defaultDataset: b.defaultDataset,
      backbones: [...b.backbones],
      methods: [...b.methods],
    })),
    configurations: configurationCatalog().map((c) => ({
      id: c.id,
      version: c.version,
      benchmark: c.benchmark,
      backbone: c.backbone,
      method: c.method,
      published: published(c.published),
      experimentJson: JSON.stringify(configurationSpec(c.id)),
    })),
    experimentJsonSchema: JSON.stringify(experimentJsonSchema()),
  };
  return cached;
}
