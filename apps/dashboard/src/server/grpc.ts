import { status as grpcStatus, type ServiceError } from '@grpc/grpc-js';
import type {
  Dataset,
  GetCatalogResponse,
  Run,
  RunEvent,
  RunMetrics,
  Split,
  StartRunRequest,
} from '@slca/contracts';
import {
  actingUserMetadata,
  channelCredentials,
  type ActingUser,
  evaluatorClient,
  isServiceError,
  splitterClient,
  trainerClient,
  type CallOptions as ClientCallOptions,
  type EvaluatorClient,
  type SplitterClient,
  type TrainerClient,
} from '@slca/service-kit/client';
import { config, type DashboardConfig } from './config';

/*
 * The dashboard's calls to the services, through the clients generated from the .proto files
 * (`@slca/service-kit/client`, which imports nothing from NestJS). Which calls are retried comes from the
 * .proto's idempotency levels; this module adds the dashboard's deadlines and turns failures into
 * {@link ServiceCallError}s the pages can show.
 */

/** Trailer in which the services name the request field an INVALID_ARGUMENT is about. */
export const INVALID_FIELD_METADATA_KEY = 'x-invalid-field';

interface Clients {
  trainer: TrainerClient;
  evaluator: EvaluatorClient;
  splitter: SplitterClient;
}
export type ServiceKey = keyof Clients;

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

/** A run as the generated client decodes it: enums as their names, int64 as numbers, unset messages undefined. */
export type RunView = Run;
export type RunEventView = RunEvent;

const CLIENTS = Symbol.for('slca.dashboard.grpc');
type WithClients = typeof globalThis & { [CLIENTS]?: { key: string; clients: Clients } };

function addressOf(cfg: DashboardConfig, service: ServiceKey): string {
  return { trainer: cfg.trainerAddress, evaluator: cfg.evaluatorAddress, splitter: cfg.splitterAddress }[
    service
  ];
}

/** One channel per service for the life of the process (grpc-js reconnects by itself). */
function clients(): Clients {
  const cfg = config();
  const key = [cfg.trainerAddress, cfg.evaluatorAddress, cfg.splitterAddress, cfg.deadlineMs].join('|');
  const holder = globalThis as WithClients;
  if (holder[CLIENTS]?.key === key) return holder[CLIENTS].clients;
  holder[CLIENTS]?.clients.trainer.close();
  holder[CLIENTS]?.clients.evaluator.close();
  holder[CLIENTS]?.clients.splitter.close();
  // Mutual TLS as identity `dashboard`; two retries with backoff for an idempotent call that finds its
  // service unavailable.
  const credentials = channelCredentials(cfg.tls);
  const options = (service: ServiceKey) => ({
    address: addressOf(cfg, service),
    credentials,
    deadlineMs: cfg.deadlineMs,
    retry: { maxAttempts: 3, initialBackoffMs: 150, maxBackoffMs: 600 },
  });
  const created: Clients = {
    trainer: trainerClient(options('trainer')),
    evaluator: evaluatorClient(options('evaluator')),
    splitter: splitterClient(options('splitter')),
  };
  holder[CLIENTS] = { key, clients: created };
  return created;
}

function toCallError(service: ServiceKey, method: string, error: ServiceError): ServiceCallError {
  const field = error.metadata?.get(INVALID_FIELD_METADATA_KEY)[0];
  return new ServiceCallError(
    service,
    method,
    grpcStatus[error.code] ?? String(error.code),
    error.details || error.message,
    typeof field === 'string' ? field : undefined,
    addressOf(config(), service),
  );
}

/** Runs one call of `service`, turning a gRPC failure into a {@link ServiceCallError}. */
async function call<S extends ServiceKey, R>(
  service: S,
  method: string,
  run: (client: Clients[S]) => Promise<R>,
): Promise<R> {
  try {
    return await run(clients()[service]);
  } catch (error) {
    throw isServiceError(error) ? toCallError(service, method, error) : error;
  }
}

const forRun = (runId: string, extra: ClientCallOptions = {}): ClientCallOptions => ({ runId, ...extra });

/** Who a changing call acts for: the signed-in user and its role (the trainer believes these from the dashboard only). */
export type Actor = ActingUser;

const actingFor = (runId: string, actor: Actor): ClientCallOptions =>
  forRun(runId, { metadata: actingUserMetadata(actor) });

/**
 * StartRun checks the experiment's dataset and backbone with the splitter before it answers, and the
 * first run on the embedded dataset imports it then (tens of seconds on a small machine).
 */
const START_RUN_DEADLINE_MS = 120_000;

/** The splitter reads, converts and stores the weights in one call (a ViT-B/16 file is up to a GB). */
const REGISTER_BACKBONE_DEADLINE_MS = 10 * 60_000;

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
    const catalog = call('trainer', 'GetCatalog', (c) => c.getCatalog({}));
    holder[CATALOG] = { address, at: Date.now(), catalog };
    // A failed answer is not kept: the next page asks again.
    catalog.catch(() => {
      if (holder[CATALOG]?.catalog === catalog) delete holder[CATALOG];
    });
    return catalog;
  },
  /** The runs matching the trainer's runs query (`method:slca tag:paper lastAcc>80`); '' for every run. */
  listRuns: async (query = '') => (await call('trainer', 'ListRuns', (c) => c.listRuns({ query }))).runs,
  getRun: async (id: string) => (await call('trainer', 'GetRun', (c) => c.getRun({ id }, forRun(id)))).run,
  startRun: async (request: StartRunRequest, actor: Actor) =>
    (
      await call('trainer', 'StartRun', (c) =>
        c.startRun(request, {
          runId: request.runId,
          metadata: actingUserMetadata(actor),
          // Repeating a StartRun that names its run id returns the same run.
          idempotent: !!request.runId,
          deadlineMs: Math.max(config().deadlineMs, START_RUN_DEADLINE_MS),
        }),
      )
    ).run,
  cancelRun: async (id: string, actor: Actor) =>
    (await call('trainer', 'CancelRun', (c) => c.cancelRun({ id }, actingFor(id, actor)))).run,
  resumeRun: async (id: string, actor: Actor) =>
    (await call('trainer', 'ResumeRun', (c) => c.resumeRun({ id }, actingFor(id, actor)))).run,
  /** Replaces the run's tags, notes or archived flag (each only when given). */
  updateRun: async (
    id: string,
    change: { tags?: string[]; notes?: string; archived?: boolean },
    actor: Actor,
  ) =>
    (
      await call('trainer', 'UpdateRun', (c) =>
        c.updateRun(
          {
            id,
            tags: change.tags ? { tags: change.tags } : undefined,
            notes: change.notes,
            archived: change.archived,
          },
          actingFor(id, actor),
        ),
      )
    ).run,
  deleteRun: async (id: string, actor: Actor) =>
    (await call('trainer', 'DeleteRun', (c) => c.deleteRun({ id }, actingFor(id, actor)))).removedObjects,
  artifacts: async (id: string) =>
    (await call('trainer', 'GetRunArtifacts', (c) => c.getRunArtifacts({ id }, forRun(id)))).artifacts
      ?.objects ?? [],
  /** The run's events until it ends or `signal` aborts; the first event is its current state. */
  async *watchRun(id: string, signal: AbortSignal): AsyncGenerator<RunEventView> {
    try {
      for await (const message of clients().trainer.watchRun({ id }, { runId: id, signal })) {
        if (message.event) yield message.event;
      }
    } catch (error) {
      if (signal.aborted) return;
      throw isServiceError(error) ? toCallError('trainer', 'WatchRun', error) : error;
    }
  },
};

export const evaluator = {
  runMetrics: async (runId: string): Promise<RunMetrics | undefined> =>
    (await call('evaluator', 'GetRunMetrics', (c) => c.getRunMetrics({ runId }, forRun(runId)))).metrics,
};

export const splitter = {
  listDatasets: async (): Promise<Dataset[]> =>
    (await call('splitter', 'ListDatasets', (c) => c.listDatasets({}))).datasets,
  getDataset: async (name: string): Promise<Dataset | undefined> =>
    (await call('splitter', 'GetDataset', (c) => c.getDataset({ name }))).dataset,
  listBackbones: async () => (await call('splitter', 'ListBackbones', (c) => c.listBackbones({}))).backbones,
  /** Registers weights put under uploads/backbones/ (`putBackboneUpload`); reading a ViT-B/16 takes a while. */
  registerUpload: async (name: string, arch: string, upload: { key: string; size: number; sha256: string }) =>
    (
      await call('splitter', 'RegisterBackbone', (c) =>
        c.registerBackbone({ name, arch, upload }, { deadlineMs: REGISTER_BACKBONE_DEADLINE_MS }),
      )
    ).backbone,
  getSplit: async (id: string): Promise<Split | undefined> =>
    (await call('splitter', 'GetSplit', (c) => c.getSplit({ id }))).split,
};
