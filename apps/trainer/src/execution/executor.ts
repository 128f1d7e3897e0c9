import type { ExperimentResult } from '@slca/engine';
import { executeRun, type ExecutionInput } from './run-execution';

/**
 * Where a run's computation happens. The trainer decides what runs and keeps its record; an executor
 * carries it out and reports through the hooks. In-process here; the Kubernetes executor (one Job per run)
 * implements the same interface.
 */
export interface RunExecutor {
  readonly kind: string;
  execute(input: ExecutionInput): Promise<ExperimentResult>;
}

/** Trains in this process, on its worker threads. */
export class InProcessExecutor implements RunExecutor {
  readonly kind = 'in-process';

  execute(input: ExecutionInput): Promise<ExperimentResult> {
    return executeRun(input);
  }
}
