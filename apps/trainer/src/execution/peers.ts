import type {
  CreateSplitRequest,
  EvaluateCheckpointRequest,
  GetBackboneRequest,
  GetClassStatisticsRequest,
  GetDatasetRequest,
  GetRunMetricsRequest,
  ImportEmbeddedDatasetRequest,
  PutClassStatisticsRequest,
} from '@slca/contracts';
import type { EvaluatorClient, SplitterClient, StatisticsClient } from '@slca/service-kit';

/**
 * The calls the trainer makes to the other services, through the clients generated from the contracts.
 * Every one is idempotent on the server (re-imports, re-puts of the same digest, re-evaluations of the same
 * model: the .proto says so), so all retry on UNAVAILABLE: a peer restarting mid-run costs a pause, not the
 * run. Here each call gets its deadline and run id.
 */
export class Peers {
  constructor(
    private readonly splitter: SplitterClient,
    private readonly statistics: StatisticsClient,
    private readonly evaluator: EvaluatorClient,
    private readonly timeouts: { importMs: number; evaluateMs: number },
  ) {}

  importEmbedded(req: ImportEmbeddedDatasetRequest, runId: string) {
    return this.splitter.importEmbeddedDataset(req, { runId, deadlineMs: this.timeouts.importMs });
  }

  getDataset(req: GetDatasetRequest, runId: string) {
    return this.splitter.getDataset(req, { runId });
  }

  /** The splitter registers the embedded backbone on its first lookup, which may take a few seconds. */
  getBackbone(req: GetBackboneRequest, runId: string) {
    return this.splitter.getBackbone(req, { runId, deadlineMs: this.timeouts.importMs });
  }

  createSplit(req: CreateSplitRequest, runId: string) {
    return this.splitter.createSplit(req, { runId });
  }

  putStatistics(req: PutClassStatisticsRequest) {
    return this.statistics.putClassStatistics(req, { runId: req.runId });
  }

  getStatistics(req: GetClassStatisticsRequest) {
    return this.statistics.getClassStatistics(req, { runId: req.runId });
  }

  evaluate(req: EvaluateCheckpointRequest) {
    return this.evaluator.evaluateCheckpoint(req, { runId: req.runId, deadlineMs: this.timeouts.evaluateMs });
  }

  metrics(req: GetRunMetricsRequest) {
    return this.evaluator.getRunMetrics(req, { runId: req.runId });
  }

  close(): void {
    for (const c of [this.splitter, this.statistics, this.evaluator]) c.close();
  }
}
