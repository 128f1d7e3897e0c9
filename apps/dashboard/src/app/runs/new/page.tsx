import Link from 'next/link';
import { ErrorPanel } from '../../../components/error-panel';
import type { Catalog } from '../../../lib/catalog';
import { valuesFromRun, type NewRunValues } from '../../../lib/new-run';
import { splitter, trainer } from '../../../server/grpc';
import { NewRunForm, type NewRunOptions } from './new-run-form';
import { requireSession } from '../../../server/auth';
import { mayStartRuns } from '../../../lib/roles';

export const metadata = { title: 'New run' };

async function settle<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  try {
    return { value: await promise };
  } catch (error) {
    return { error };
  }
}

/** The first values: those of the run to repeat, else the first benchmark with its first pre-training. */
function initialValues(catalog: Catalog, repeated: NewRunValues | undefined): NewRunValues {
  if (repeated) return repeated;
  const benchmark = catalog.benchmarks[0];
  if (!benchmark) return {};
  return {
    benchmark: benchmark.id,
    pretraining: benchmark.backbones[0] ?? '',
    method: benchmark.methods.includes('slca') ? 'slca' : (benchmark.methods[0] ?? ''),
  };
}

export default async function NewRunPage({ searchParams }: { searchParams: Promise<{ from?: string }> }) {
  const session = await requireSession();
  if (!mayStartRuns(session.role))
    return (
      <>
        <h1>New run</h1>
        <div className="card empty" data-testid="viewer-notice">
          {session.user} is a viewer: viewers read runs but do not start them.{' '}
          <Link href="/">Back to the runs</Link>.
        </div>
      </>
    );
  const from = (await searchParams).from;
  const [catalog, datasets, backbones, run] = await Promise.all([
    settle(trainer.getCatalog()),
    settle(splitter.listDatasets()),
    settle(splitter.listBackbones()),
    from ? settle(trainer.getRun(from)) : Promise.resolve({ value: undefined, error: undefined }),
  ]);
  if (!catalog.value)
    return (
      <>
        <h1>New run</h1>
        <ErrorPanel error={catalog.error} what="the trainer’s catalogue of configurations" />
      </>
    );
  const repeated = run.value ? valuesFromRun(run.value, catalog.value) : undefined;
  const options: NewRunOptions = {
    methods: catalog.value.methods.map((m) => ({ id: m.id, label: m.label, description: m.description })),
    benchmarks: catalog.value.benchmarks,
    configurations: catalog.value.configurations.map((c) => ({
      id: c.id,
      benchmark: c.benchmark,
      backbone: c.backbone,
      method: c.method,
    })),
    datasets: (datasets.value ?? []).map((d) => d.name),
    backbones: (backbones.value ?? []).map((b) => ({ name: b.name, arch: b.archName, digest: b.digest })),
  };
  return (
    <>
      <h1>New run</h1>
      <p className="muted">
        Starts an experiment that extends a golden configuration of the trainer’s catalogue (the benchmark’s
        recipe for a pre-training and a method), on a registered dataset and backbone. Overrides change any
        other field. <strong>Preview</strong> shows the complete experiment the trainer would run; the trainer
        checks everything and names any field it refuses.
      </p>
      {from && run.error !== undefined && <ErrorPanel error={run.error} what={`run ${from}`} />}
      {from && run.value && !repeated && (
        <div className="error-panel" role="alert">
          Run {from} names no configuration of the catalogue; the form starts from the defaults.
        </div>
      )}
      {repeated && (
        <p className="muted" data-testid="repeating">
          The values of run <Link href={`/runs/${encodeURIComponent(from ?? '')}`}>{from}</Link>: its
          configuration, dataset, backbone, seed and tags, and as overrides what it changed.
        </p>
      )}
      {datasets.error !== undefined && <ErrorPanel error={datasets.error} what="the registered datasets" />}
      {backbones.error !== undefined && (
        <ErrorPanel error={backbones.error} what="the registered backbones" />
      )}
      <NewRunForm options={options} initial={initialValues(catalog.value, repeated)} />
    </>
  );
}
