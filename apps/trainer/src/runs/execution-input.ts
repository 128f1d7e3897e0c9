import type { ObjectStore } from '@slca/artifacts';
import type { ExperimentConfig } from '@slca/engine';
import type { Logger } from '@slca/service-kit';
import type { DependencyAddresses } from '../execution/outages';
import type { Peers } from '../execution/peers';
import type { ExecutionHooks, ExecutionInput } from '../execution/run-execution';
import type { RunRecord } from './run-record';

/** What an execution runs with besides its record: where, through whom, how it is stopped and reports. */
export interface ExecutionContext {
  store: ObjectStore;
  peers: Peers;
  logger: Logger;
  signal: AbortSignal;
  hooks: ExecutionHooks;
  /** Where the peers are, named in the run's status while it waits for one. */
  dependencies?: DependencyAddresses;
}

/**
 * The one conversion of a stored run into what an executor runs: the trainer's own executions and a
 * Kubernetes Job's pod (`job.ts`) both start a run from its record through this.
 */
export function executionInput(record: RunRecord, context: ExecutionContext): ExecutionInput {
  return {
    runId: record.id,
    benchmark: record.benchmark as ExecutionInput['benchmark'],
    config: JSON.parse(record.configJson) as ExperimentConfig,
    checkpointEvery: record.checkpointEvery,
    checkpointSeq: record.checkpointSeq,
    createdAt: new Date(record.createdAtMs).toISOString(),
    store: context.store,
    peers: context.peers,
    signal: context.signal,
    logger: context.logger,
    hooks: context.hooks,
    dependencies: context.dependencies,
  };
}
