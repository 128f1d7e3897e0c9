import Link from 'next/link';
import { ErrorPanel } from '../components/error-panel';
import { ExportLinks } from '../components/export-links';
import { benchmarkTitle, methodLabel, methodLabels, type Catalog } from '../lib/catalog';
import { runBackbone, runDataset } from '../lib/run-groups';
import { loadCatalog } from '../server/catalog';
import { trainer, type RunView } from '../server/grpc';
import { RunsTable, type RunRow } from './runs-table';

export const metadata = { title: 'Runs' };

function toRow(run: RunView, catalog: Catalog): RunRow {
  return {
    id: run.id,
    status: run.status,
    method: run.method,
    methodLabel: methodLabel(methodLabels(catalog), run.method),
    benchmark: run.benchmark,
    benchmarkTitle: benchmarkTitle(catalog, run.benchmark),
    dataset: runDataset(run),
    backbone: runBackbone(run),
    seed: run.seed,
    backend: run.backend,
    tags: run.tags,
    tasks: run.tasks,
    tasksDone: run.tasksDone,
    lastAcc: run.lastAcc,
    incAcc: run.incAcc,
    hasAccuracy: run.accuracies.length > 0,
    createdAtMs: run.createdAtMs,
    startedAtMs: run.startedAtMs,
    finishedAtMs: run.finishedAtMs,
  };
}

export default async function RunsPage() {
  let runs: RunView[];
  const catalog = loadCatalog();
  try {
    runs = await trainer.listRuns();
  } catch (error) {
    return (
      <>
        <h1>Runs</h1>
        <ErrorPanel error={error} what="the runs" />
      </>
    );
  }
  // Without the trainer's catalogue the runs are still listed, by method and benchmark id.
  const labelsFrom = (await catalog).catalog;
  return (
    <>
      <div className="actions" style={{ justifyContent: 'space-between' }}>
        <h1>Runs</h1>
        <Link className="button" href="/runs/new">
          New run
        </Link>
      </div>
      {runs.length === 0 ? (
        <div className="card empty" data-testid="runs-empty">
          No runs yet. <Link href="/runs/new">Start one</Link> — the embedded benchmark takes about two
          minutes.
        </div>
      ) : (
        <>
          <RunsTable runs={runs.map((r) => toRow(r, labelsFrom))} now={Date.now()} />
          <ExportLinks href="/api/runs/export" what="every run" testId="export-runs" />
        </>
      )}
    </>
  );
}
