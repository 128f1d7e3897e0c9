import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type {
  Backbone,
  Dataset,
  GetCatalogResponse,
  GetDatasetResponse,
  GetRunArtifactsResponse,
  GetRunMetricsResponse,
  GetRunResponse,
  GetSplitResponse,
  ListBackbonesResponse,
  ListDatasetsResponse,
  ListRunsResponse,
  PROTO_FILES as CONTRACT_PROTO_FILES,
  Run,
  RunEvent,
  RunMetrics,
  Split,
  StartRunRequest,
  StartRunResponse,
} from '@slca/contracts';
import { config, type DashboardConfig } from './config';

/*
 * A small gRPC client over @grpc/grpc-js for the three services the dashboard reads. Only types come from
 * @slca/contracts: its runtime entry also loads the NestJS decorators of the generated code. The file
 * names below are checked against the contracts' PROTO_FILES by the compiler (`satisfies`).
 */
const PROTO_FILES = {
  splitter: 'slca/v1/splitter.proto',
  trainer: 'slca/v1/trainer.proto',
  evaluator: 'slca/v1/evaluator.proto',
} as const satisfies Partial<typeof CONTRACT_PROTO_FILES>;

/** gRPC metadata key that carries the run id (the services log it on every line). */
export const RUN_ID_METADATA_KEY = 'x-run-id';
/** Trailer in which the services name the request field an INVALID_ARGUMENT is about. */
export const INVALID_FIELD_METADATA_KEY = 'x-invalid-field';

export type ServiceKey = keyof typeof PROTO_FILES;
const SERVICE_NAMES: Record<ServiceKey, string> = {
  splitter: 'SplitterService',
  trainer: 'TrainerService',
  evaluator: 'EvaluatorService',
};

/** A failed call, with the gRPC status name and, for INVALID_ARGUMENT, the field at fault. */
export class ServiceCallError extends Error {
  constructor(
    readonly service: ServiceKey,
    readonly method: string,
    readonly code: string,
    readonly details: string,
    readonly field: string | undefined,
    readonly address: string,
  ) {
    super(
      code === 'UNAVAILABLE'
        ? `the ${service} at ${address} is unreachable (${details})`
        : code === 'DEADLINE_EXCEEDED'
          ? `the ${service} at ${address} did not answer ${method} in time`
          : `${service} ${method}: ${code}: ${details}`,
    );
    this.name = 'ServiceCallError';
  }

  get unreachable(): boolean {
    return this.code === 'UNAVAILABLE' || this.code === 'DEADLINE_EXCEEDED';
  }
}

/** A run as the loader decodes it: enums as their names, int64 as numbers, unset messages as null. */
export type RunView = Run;
export type RunEventView = RunEvent & { event?: string };

type Callback<Res> = (error: grpc.ServiceError | null, response?: Res) => void;
type UnaryMethod = (
  request: unknown,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: Callback<unknown>,
) => grpc.ClientUnaryCall;
type StreamMethod = (request: unknown, metadata: grpc.Metadata) => grpc.ClientReadableStream<unknown>;

interface Clients {
  key: string;
  clients: Record<ServiceKey, grpc.Client>;
}

const CLIENTS = Symbol.for('slca.dashboard.grpc');
type WithClients = typeof globalThis & { [CLIENTS]?: Clients };

function addressOf(cfg: DashboardConfig, service: ServiceKey): string {
  return { trainer: cfg.trainerAddress, evaluator: cfg.evaluatorAddress, splitter: cfg.splitterAddress }[
    service
  ];
}

/** One channel per service for the life of the process (grpc-js reconnects by itself). */
function clients(): Clients['clients'] {
  const cfg = config();
  const key = [cfg.protoRoot, cfg.trainerAddress, cfg.evaluatorAddress, cfg.splitterAddress].join('|');
  const holder = globalThis as WithClients;
  if (holder[CLIENTS]?.key === key) return holder[CLIENTS].clients;
  const definition = protoLoader.loadSync(Object.values(PROTO_FILES), {
    includeDirs: [cfg.protoRoot],
    keepCase: false,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    slca: { v1: Record<string, grpc.ServiceClientConstructor> };
  };
  const make = (service: ServiceKey) =>
    new pkg.slca.v1[SERVICE_NAMES[service]](addressOf(cfg, service), grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': 16 * 1024 * 1024,
    });
  const created = { trainer: make('trainer'), evaluator: make('evaluator'), splitter: make('splitter') };
  holder[CLIENTS] = { key, clients: created };
  return created;
}

function metadataFor(runId: string | undefined): grpc.Metadata {
  const metadata = new grpc.Metadata();
  if (runId) metadata.set(RUN_ID_METADATA_KEY, runId);
  return metadata;
}

function toCallError(service: ServiceKey, method: string, error: grpc.ServiceError): ServiceCallError {
  const field = error.metadata?.get(INVALID_FIELD_METADATA_KEY)[0];
  return new ServiceCallError(
    service,
    method,
    grpc.status[error.code] ?? String(error.code),
    error.details || error.message,
    typeof field === 'string' ? field : undefined,
    addressOf(config(), service),
  );
}

interface CallOptions {
  runId?: string;
  /** This call's deadline, when it is not the configured one. */
  deadlineMs?: number;
  /** Safe to repeat: retried (twice, with backoff) when the service is unavailable. */
  idempotent?: boolean;
}

async function unary<Res>(
  service: ServiceKey,
  method: string,
  request: unknown,
  { runId, idempotent = false, deadlineMs }: CallOptions = {},
): Promise<Res> {
  const client = clients()[service];
  const fn = (client as unknown as Record<string, UnaryMethod>)[method];
  const attempt = () =>
    new Promise<Res>((resolve, reject) => {
      fn.call(
        client,
        request,
        metadataFor(runId),
        { deadline: Date.now() + (deadlineMs ?? config().deadlineMs) },
        (error, response) => (error ? reject(toCallError(service, method, error)) : resolve(response as Res)),
      );
    });
  for (let tries = 0; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      const retry =
        idempotent && tries < 2 && error instanceof ServiceCallError && error.code === 'UNAVAILABLE';
      if (!retry) throw error;
      await new Promise((done) => setTimeout(done, 150 * 2 ** tries));
    }
  }
}

/**
 * StartRun checks the experiment's dataset and backbone with the splitter before it answers, and the
 * first run on the embedded dataset imports it then (tens of seconds on a small machine).
 */
const START_RUN_DEADLINE_MS = 120_000;

/** How long the trainer's catalogue is reused before it is asked again (it changes only with the trainer). */
const CATALOG_TTL_MS = 60_000;
const CATALOG = Symbol.for('slca.dashboard.catalog');
type WithCatalog = typeof globalThis & {
  [CATALOG]?: { address: string; at: number; catalog: Promise<GetCatalogResponse> };
};

export const trainer = {
  /** The methods, benchmarks and golden configurations (with published numbers) the trainer runs. */
  getCatalog: async (): Promise<GetCatalogResponse> => {
    const holder = globalThis as WithCatalog;
    const address = config().trainerAddress;
    const cached = holder[CATALOG];
    if (cached && cached.address === address && Date.now() - cached.at < CATALOG_TTL_MS)
      return cached.catalog;
    const catalog = unary<GetCatalogResponse>('trainer', 'getCatalog', {}, { idempotent: true });
    holder[CATALOG] = { address, at: Date.now(), catalog };
    // A failed answer is not kept: the next page asks again.
    catalog.catch(() => {
      if (holder[CATALOG]?.catalog === catalog) delete holder[CATALOG];
    });
    return catalog;
  },
  listRuns: async () => (await unary<ListRunsResponse>('trainer', 'listRuns', {}, { idempotent: true })).runs,
  getRun: async (id: string) =>
    (await unary<GetRunResponse>('trainer', 'getRun', { id }, { runId: id, idempotent: true })).run,
  startRun: async (request: StartRunRequest) =>
    (
      await unary<StartRunResponse>('trainer', 'startRun', request, {
        runId: request.runId,
        idempotent: !!request.runId,
        deadlineMs: Math.max(config().deadlineMs, START_RUN_DEADLINE_MS),
      })
    ).run,
  cancelRun: async (id: string) =>
    (await unary<GetRunResponse>('trainer', 'cancelRun', { id }, { runId: id })).run,
  resumeRun: async (id: string) =>
    (await unary<GetRunResponse>('trainer', 'resumeRun', { id }, { runId: id })).run,
  artifacts: async (id: string) =>
    (
      await unary<GetRunArtifactsResponse>(
        'trainer',
        'getRunArtifacts',
        { id },
        { runId: id, idempotent: true },
      )
    ).artifacts?.objects ?? [],
  /** The run's events until it ends or `signal` aborts; the first event is its current state. */
  async *watchRun(id: string, signal: AbortSignal): AsyncGenerator<RunEventView> {
    const client = clients().trainer;
    const fn = (client as unknown as Record<string, StreamMethod>).watchRun;
    const call = fn.call(client, { id }, metadataFor(id));
    const cancel = () => call.cancel();
    signal.addEventListener('abort', cancel, { once: true });
    try {
      for await (const message of call) {
        const event = (message as { event?: RunEventView | null }).event;
        if (event) yield event;
      }
    } catch (error) {
      if (signal.aborted) return;
      throw toCallError('trainer', 'watchRun', error as grpc.ServiceError);
    } finally {
      signal.removeEventListener('abort', cancel);
      call.cancel();
    }
  },
};

export const evaluator = {
  runMetrics: async (runId: string): Promise<RunMetrics | undefined> =>
    (await unary<GetRunMetricsResponse>('evaluator', 'getRunMetrics', { runId }, { runId, idempotent: true }))
      .metrics ?? undefined,
};

export const splitter = {
  listDatasets: async (): Promise<Dataset[]> =>
    (await unary<ListDatasetsResponse>('splitter', 'listDatasets', {}, { idempotent: true })).datasets,
  getDataset: async (name: string): Promise<Dataset | undefined> =>
    (await unary<GetDatasetResponse>('splitter', 'getDataset', { name }, { idempotent: true })).dataset ??
    undefined,
  listBackbones: async (): Promise<Backbone[]> =>
    (await unary<ListBackbonesResponse>('splitter', 'listBackbones', {}, { idempotent: true })).backbones,
  getSplit: async (id: string): Promise<Split | undefined> =>
    (await unary<GetSplitResponse>('splitter', 'getSplit', { id }, { idempotent: true })).split ?? undefined,
};
