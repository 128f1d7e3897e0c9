import { methodLabel, methodLabels, type Catalog } from './catalog';
import { runBackbone, runDataset, type RunSummaryInput } from './run-groups';
import type { RunTableInput } from './tables';

/** What the runs export needs of the trainer's run record. */
export interface RunRecordInput extends RunSummaryInput {
  backend: string;
  tags: string[];
  tasks: number;
  tasksDone: number;
  createdAtMs: number;
  startedAtMs: number;
  finishedAtMs: number;
}

/** A run record as a row of the runs export (no accuracy until a task is evaluated). */
export function runTableInput(run: RunRecordInput, catalog: Catalog): RunTableInput {
  const has = run.accuracies.length > 0;
  return {
    id: run.id,
    status: run.status,
    methodLabel: methodLabel(methodLabels(catalog), run.method),
    benchmark: run.benchmark,
    dataset: runDataset(run),
    backbone: runBackbone(run),
    seed: run.seed,
    backend: run.backend,
    tags: run.tags,
    tasks: run.tasks,
    tasksDone: run.tasksDone,
    lastAcc: has ? run.lastAcc : null,
    incAcc: has ? run.incAcc : null,
    createdAtMs: run.createdAtMs,
    startedAtMs: run.startedAtMs,
    finishedAtMs: run.finishedAtMs,
  };
}

/** `?runs=a,b&runs=c` as ['a', 'b', 'c']. */
export function runIdsOf(query: URLSearchParams): string[] {
  return query
    .getAll('runs')
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
}
