import type {
  CreateSplitRequest,
  CreateSplitResponse,
  EvaluateCheckpointRequest,
  EvaluateCheckpointResponse,
  GetBackboneRequest,
  GetBackboneResponse,
  GetDatasetRequest,
  GetDatasetResponse,
  GetClassStatisticsRequest,
  GetClassStatisticsResponse,
  GetRunMetricsRequest,
  GetRunMetricsResponse,
  ImportEmbeddedDatasetRequest,
  ImportEmbeddedDatasetResponse,
  PutClassStatisticsRequest,
  PutClassStatisticsResponse,
} from '@slca/contracts';
import type { GrpcClient } from '@slca/service-kit';

/**
 * The calls the trainer makes to the other services, typed by the contracts. Every one is idempotent on
 * the server (re-imports, re-puts of the same digest, re-evaluations of the same model), so all retry on
 * UNAVAILABLE: a peer restarting mid-run costs a pause, not the run.
 */
export class Peers {
  constructor(
    private readonly splitter: GrpcClient,
    private readonly statistics: GrpcClient,
    private readonly evaluator: GrpcClient,
    private readonly timeouts: { importMs: number; evaluateMs: number },
  ) {}

  importEmbedded(req: ImportEmbeddedDatasetRequest, runId: string) {
    return this.splitter.unary<ImportEmbeddedDatasetRequest, ImportEmbeddedDatasetResponse>(
      'ImportEmbeddedDataset',
      req,
      {
        idempotent: true,
        runId,
        deadlineMs: this.timeouts.importMs,
      },
    );
  }

  getDataset(req: GetDatasetRequest, runId: string) {
    return this.splitter.unary<GetDatasetRequest, GetDatasetResponse>('GetDataset', req, {
      idempotent: true,
      runId,
    });
  }

  /** The splitter registers the embedded backbone on its first lookup, which may take a few seconds. */
  getBackbone(req: GetBackboneRequest, runId: string) {
    return this.splitter.unary<GetBackboneRequest, GetBackboneResponse>('GetBackbone', req, {
      idempotent: true,
      runId,
      deadlineMs: this.timeouts.importMs,
    });
  }

  createSplit(req: CreateSplitRequest, runId: string) {
    return this.splitter.unary<CreateSplitRequest, CreateSplitResponse>('CreateSplit', req, {
      idempotent: true,
      runId,
    });
  }

  putStatistics(req: PutClassStatisticsRequest) {
    return this.statistics.unary<PutClassStatisticsRequest, PutClassStatisticsResponse>(
      'PutClassStatistics',
      req,
      {
        idempotent: true,
        runId: req.runId,
      },
    );
  }

  getStatistics(req: GetClassStatisticsRequest) {
    return this.statistics.unary<GetClassStatisticsRequest, GetClassStatisticsResponse>(
      'GetClassStatistics',
      req,
      {
        idempotent: true,
        runId: req.runId,
      },
    );
  }

  evaluate(req: EvaluateCheckpointRequest) {
    return this.evaluator.unary<EvaluateCheckpointRequest, EvaluateCheckpointResponse>(
      'EvaluateCheckpoint',
      req,
      {
        idempotent: true,
        runId: req.runId,
        deadlineMs: this.timeouts.evaluateMs,
      },
    );
  }

  metrics(req: GetRunMetricsRequest) {
    return this.evaluator.unary<GetRunMetricsRequest, GetRunMetricsResponse>('GetRunMetrics', req, {
      idempotent: true,
      runId: req.runId,
    });
  }

  close(): void {
    for (const c of [this.splitter, this.statistics, this.evaluator]) c.close();
  }
}
