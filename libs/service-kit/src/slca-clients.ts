import {
  PROTO_FILES,
  protoRoot,
  type CancelRunRequest,
  type CancelRunResponse,
  type GetBackboneRequest,
  type GetBackboneResponse,
  type GetCatalogResponse,
  type GetSplitRequest,
  type GetSplitResponse,
  type ListBackbonesResponse,
  type ListDatasetsResponse,
  type RegisterBackboneRequest,
  type RegisterBackboneResponse,
  type GetRunArtifactsRequest,
  type GetRunArtifactsResponse,
  type GetRunMetricsRequest,
  type GetRunMetricsResponse,
  type GetRunRequest,
  type GetRunResponse,
  type ListRunsRequest,
  type ListRunsResponse,
  type ResumeRunRequest,
  type ResumeRunResponse,
  type StartRunRequest,
  type StartRunResponse,
  type WatchRunRequest,
  type WatchRunResponse,
} from '@slca/contracts';
import { createGrpcClient, type CallOptions, type GrpcClient } from './client';

export interface SlcaClientOptions {
  address: string;
  /** Deadline of each unary call. */
  deadlineMs?: number;
}

/** A typed client of slca.v1.TrainerService (for the CLI's --remote, the local stack and the dashboard). */
export class TrainerClient {
  readonly grpc: GrpcClient;

  constructor(options: SlcaClientOptions) {
    this.grpc = createGrpcClient({
      protoPath: PROTO_FILES.trainer,
      includeDirs: [protoRoot()],
      service: 'slca.v1.TrainerService',
      address: options.address,
      deadlineMs: options.deadlineMs ?? 30_000,
      streamDeadlineMs: Infinity,
    });
  }

  /** Idempotent when the request names its run id. */
  startRun(req: StartRunRequest, options: CallOptions = {}) {
    return this.grpc.unary<StartRunRequest, StartRunResponse>('StartRun', req, {
      idempotent: req.runId !== '',
      ...options,
    });
  }
  getRun(req: GetRunRequest, options: CallOptions = {}) {
    return this.grpc.unary<GetRunRequest, GetRunResponse>('GetRun', req, { idempotent: true, ...options });
  }
  listRuns(req: ListRunsRequest = {}, options: CallOptions = {}) {
    return this.grpc.unary<ListRunsRequest, ListRunsResponse>('ListRuns', req, {
      idempotent: true,
      ...options,
    });
  }
  watchRun(req: WatchRunRequest, options: { signal?: AbortSignal } = {}) {
    return this.grpc.stream<WatchRunRequest, WatchRunResponse>('WatchRun', req, {
      ...options,
      deadlineMs: Infinity,
    });
  }
  cancelRun(req: CancelRunRequest, options: CallOptions = {}) {
    return this.grpc.unary<CancelRunRequest, CancelRunResponse>('CancelRun', req, options);
  }
  resumeRun(req: ResumeRunRequest, options: CallOptions = {}) {
    return this.grpc.unary<ResumeRunRequest, ResumeRunResponse>('ResumeRun', req, options);
  }
  getCatalog(options: CallOptions = {}) {
    return this.grpc.unary<object, GetCatalogResponse>('GetCatalog', {}, { idempotent: true, ...options });
  }
  getRunArtifacts(req: GetRunArtifactsRequest, options: CallOptions = {}) {
    return this.grpc.unary<GetRunArtifactsRequest, GetRunArtifactsResponse>('GetRunArtifacts', req, {
      idempotent: true,
      ...options,
    });
  }
  close(): void {
    this.grpc.close();
  }
}

/** A typed client of slca.v1.EvaluatorService's read side. */
export class EvaluatorClient {
  readonly grpc: GrpcClient;

  constructor(options: SlcaClientOptions) {
    this.grpc = createGrpcClient({
      protoPath: PROTO_FILES.evaluator,
      includeDirs: [protoRoot()],
      service: 'slca.v1.EvaluatorService',
      address: options.address,
      deadlineMs: options.deadlineMs ?? 30_000,
    });
  }

  getRunMetrics(req: GetRunMetricsRequest, options: CallOptions = {}) {
    return this.grpc.unary<GetRunMetricsRequest, GetRunMetricsResponse>('GetRunMetrics', req, {
      idempotent: true,
      ...options,
    });
  }
  close(): void {
    this.grpc.close();
  }
}

/** A typed client of slca.v1.SplitterService's registry side (datasets, splits, backbones). */
export class SplitterClient {
  readonly grpc: GrpcClient;

  constructor(options: SlcaClientOptions) {
    this.grpc = createGrpcClient({
      protoPath: PROTO_FILES.splitter,
      includeDirs: [protoRoot()],
      service: 'slca.v1.SplitterService',
      address: options.address,
      deadlineMs: options.deadlineMs ?? 30_000,
    });
  }

  /** Reads and converts the whole file on the server: give it a deadline that fits the file. */
  registerBackbone(req: RegisterBackboneRequest, options: CallOptions = {}) {
    return this.grpc.unary<RegisterBackboneRequest, RegisterBackboneResponse>('RegisterBackbone', req, {
      idempotent: true,
      ...options,
    });
  }
  getBackbone(req: GetBackboneRequest, options: CallOptions = {}) {
    return this.grpc.unary<GetBackboneRequest, GetBackboneResponse>('GetBackbone', req, {
      idempotent: true,
      ...options,
    });
  }
  listBackbones(options: CallOptions = {}) {
    return this.grpc.unary<object, ListBackbonesResponse>(
      'ListBackbones',
      {},
      { idempotent: true, ...options },
    );
  }
  listDatasets(options: CallOptions = {}) {
    return this.grpc.unary<object, ListDatasetsResponse>(
      'ListDatasets',
      {},
      { idempotent: true, ...options },
    );
  }
  getSplit(req: GetSplitRequest, options: CallOptions = {}) {
    return this.grpc.unary<GetSplitRequest, GetSplitResponse>('GetSplit', req, {
      idempotent: true,
      ...options,
    });
  }
  close(): void {
    this.grpc.close();
  }
}
