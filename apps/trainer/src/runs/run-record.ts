import { RunStatus, type Run, type RunLineage, type RunSystem } from '@slca/contracts';
import type { StoredAuditEntry } from './run-access';

/** A run as the trainer keeps it in the object store (runs/<id>/run.json); replaced whole on each change. */
export interface RunRecord {
  id: string;
  status: RunStatus;
  benchmark: string;
  method: string;
  seed: number;
  tags: string[];
  configJson: string;
  checkpointEvery: number;
  backend: string;
  /** The compute device (wasm, onnx); '' until prepared, and in records written before it existed. */
  device?: string;
  splitId: string;
  tasks: number;
  tasksDone: number;
  accuracies: number[];
  lastAcc: number;
  incAcc: number;
  createdAtMs: number;
  startedAtMs: number;
  finishedAtMs: number;
  error: string;
  latestCheckpoint: string;
  /** Sequence number of the last checkpoint written (0: none). */
  checkpointSeq: number;
  resumedCount: number;
  /** What the run runs on (absent in records written before lineage was kept). */
  lineage?: RunLineage;
  /** What the running run waits for ("the object store at …"); empty or absent when it waits for nothing. */
  waitingFor?: string;
  /** What the researcher wrote about the run (absent: none). */
  notes?: string;
  /** Left out of lists unless asked for. */
  archived?: boolean;
  /** Who started the run (absent in records written before owners were kept). */
  owner?: string;
  /** Every change of the run's state, oldest first (see run-access.ts). */
  audit?: StoredAuditEntry[];
  /** What its training measured of the machine (absent before its first step). */
  system?: RunSystem;
}

export const TERMINAL: ReadonlySet<RunStatus> = new Set([
  RunStatus.RUN_STATUS_SUCCEEDED,
  RunStatus.RUN_STATUS_FAILED,
  RunStatus.RUN_STATUS_CANCELLED,
]);

/** Statuses a restarted trainer picks up by itself: the process that ran them is gone. */
export const ORPHANED: ReadonlySet<RunStatus> = new Set([
  RunStatus.RUN_STATUS_QUEUED,
  RunStatus.RUN_STATUS_RUNNING,
  RunStatus.RUN_STATUS_INTERRUPTED,
]);

export function toRun(r: RunRecord): Run {
  return {
    id: r.id,
    status: r.status,
    benchmark: r.benchmark,
    method: r.method,
    seed: r.seed,
    configJson: r.configJson,
    tags: r.tags,
    backend: r.backend,
    device: r.device ?? '',
    splitId: r.splitId,
    tasks: r.tasks,
    tasksDone: r.tasksDone,
    accuracies: r.accuracies,
    lastAcc: r.lastAcc,
    incAcc: r.incAcc,
    createdAtMs: r.createdAtMs,
    startedAtMs: r.startedAtMs,
    finishedAtMs: r.finishedAtMs,
    error: r.error,
    latestCheckpoint: r.latestCheckpoint,
    resumedCount: r.resumedCount,
    lineage: r.lineage,
    waitingFor: r.waitingFor ?? '',
    notes: r.notes ?? '',
    archived: r.archived ?? false,
    ownedBy: r.owner ?? '',
    auditLog: (r.audit ?? []).map(({ atMs, who, action, detail }) => ({ atMs, who, action, detail })),
    system: r.system,
  };
}
