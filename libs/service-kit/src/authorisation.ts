import {
  EvaluatorServiceDefinition,
  SplitterServiceDefinition,
  StatisticsServiceDefinition,
  TrainerServiceDefinition,
} from '@slca/contracts/grpc';
import type { ServiceDefinition } from './client';
import type { Identity } from './tls/identities';

/*
 * THE authorisation table: which identity (the CN of its client certificate) may call which RPC. It is the
 * only place this is decided; every service's server checks each call against it before any handler runs
 * (see `authorisationInterceptor`). A method that is not in the table is refused to everyone, so a new RPC
 * stays closed until someone writes its line here (and the table's test lists it).
 *
 * The spirit: users (the dashboard's server side and the CLI) start, cancel, resume and read runs and read
 * what runs are made of; only the trainer (and a run's Kubernetes Job, which does the trainer's work in its
 * own pod) writes statistics, requests evaluations, imports the embedded dataset and cuts splits; only the
 * operator reads paths on the splitter's host (folder and benchmark imports, backbones from a path); the
 * dashboard registers uploaded backbones. grpc.health.v1 is open to every holder of a certificate.
 */

/** The users' clients. */
const USERS = ['dashboard', 'cli'] as const satisfies readonly Identity[];
/** Who does a run's work: the trainer, or the run's Job when runs execute on Kubernetes. */
const RUNNERS = ['trainer', 'job'] as const satisfies readonly Identity[];

export interface MethodRule {
  /** Identities that may call the method. */
  readonly callers: readonly Identity[];
  /**
   * Request fields that, when set (a non-empty string, a present message), narrow the callers further:
   * RegisterBackbone with a `path` reads the splitter's host, which only the operator may ask for.
   */
  readonly whenSet?: { readonly [field: string]: readonly Identity[] };
  /** Why, for the reader of this table. */
  readonly note?: string;
}

type RulesOf<S extends ServiceDefinition> = { readonly [K in keyof S['methods']]?: MethodRule };

const TRAINER: RulesOf<typeof TrainerServiceDefinition> = {
  startRun: { callers: USERS },
  getRun: { callers: [...USERS, 'operator'] },
  listRuns: { callers: [...USERS, 'operator'] },
  watchRun: { callers: USERS },
  cancelRun: { callers: USERS },
  resumeRun: { callers: USERS },
  getRunArtifacts: { callers: USERS },
  getCatalog: { callers: [...USERS, 'operator'] },
  updateRun: { callers: USERS, note: 'tags, notes, archived: what describes a run' },
  deleteRun: { callers: [...USERS, 'operator'], note: 'an ended run and its objects' },
};

const SPLITTER: RulesOf<typeof SplitterServiceDefinition> = {
  importEmbeddedDataset: {
    callers: [...RUNNERS, 'operator'],
    note: 'the first run on the embedded benchmark imports it',
  },
  importFolderDataset: { callers: ['operator'], note: 'reads a path on the splitter host' },
  importBenchmarkDataset: { callers: ['operator'], note: 'reads a path on the splitter host' },
  getDataset: { callers: [...RUNNERS, ...USERS, 'operator'] },
  listDatasets: { callers: [...USERS, 'operator'] },
  createSplit: { callers: RUNNERS },
  getSplit: { callers: [...RUNNERS, ...USERS, 'operator'] },
  registerBackbone: {
    callers: ['operator', 'dashboard'],
    whenSet: { path: ['operator'] },
    note: 'the dashboard registers uploads; only the operator registers a path on the splitter host',
  },
  getBackbone: { callers: [...RUNNERS, ...USERS, 'operator'] },
  listBackbones: { callers: [...USERS, 'operator'] },
};

const STATISTICS: RulesOf<typeof StatisticsServiceDefinition> = {
  putClassStatistics: { callers: RUNNERS },
  getClassStatistics: { callers: RUNNERS },
  listClassStatistics: { callers: [...RUNNERS, ...USERS] },
  sampleFeatures: { callers: RUNNERS, note: 'stores the sample it draws' },
};

const EVALUATOR: RulesOf<typeof EvaluatorServiceDefinition> = {
  evaluateCheckpoint: { callers: RUNNERS },
  getRunMetrics: { callers: [...RUNNERS, ...USERS] },
};

/** The standard health service: open to any caller the TLS handshake let in (and on the plain health port). */
export const HEALTH_SERVICE = 'grpc.health.v1.Health';

/** The gRPC path of a method, as the server sees it: `/slca.v1.TrainerService/StartRun`. */
export const methodPath = (service: ServiceDefinition, method: string): string =>
  `/${service.fullName}/${service.methods[method]?.name ?? method}`;

function rulesOf<S extends ServiceDefinition>(service: S, rules: RulesOf<S>): [string, MethodRule][] {
  return Object.entries(rules as Record<string, MethodRule>).map(([key, rule]) => {
    if (!service.methods[key])
      throw new Error(`authorisation table: ${service.fullName} has no method ${key}`);
    return [methodPath(service, key), rule];
  });
}

/** Every rule, by the method's gRPC path. */
export const AUTHORISATION: ReadonlyMap<string, MethodRule> = new Map([
  ...rulesOf(TrainerServiceDefinition, TRAINER),
  ...rulesOf(SplitterServiceDefinition, SPLITTER),
  ...rulesOf(StatisticsServiceDefinition, STATISTICS),
  ...rulesOf(EvaluatorServiceDefinition, EVALUATOR),
]);

export type Decision = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

const isHealth = (path: string) => path.startsWith(`/${HEALTH_SERVICE}/`);
const displayName = (path: string) => path.replace(/^\//, '');

/** Whether `identity` may call `path` at all (before its request is seen). */
export function authoriseCall(
  identity: string | undefined,
  path: string,
  table: ReadonlyMap<string, MethodRule> = AUTHORISATION,
): Decision {
  if (isHealth(path)) return { allowed: true };
  const method = displayName(path);
  if (!identity)
    return { allowed: false, reason: `a caller without a client certificate may not call ${method}` };
  const rule = table.get(path);
  if (!rule)
    return { allowed: false, reason: `${method} is not in the authorisation table; nobody may call it` };
  return (rule.callers as readonly string[]).includes(identity)
    ? { allowed: true }
    : { allowed: false, reason: `identity ${identity} may not call ${method}` };
}

/** A field as proto3 decodes it is set when it is not its default: '', empty bytes or list, no message. */
const isSet = (value: unknown) =>
  value !== undefined &&
  value !== null &&
  !(typeof value === 'string' && value.trim() === '') &&
  // Bytes may come from another realm (a test runner's), so not `instanceof Uint8Array`.
  !(ArrayBuffer.isView(value) && value.byteLength === 0) &&
  !(Array.isArray(value) && value.length === 0);

/** Whether `identity` may send this request to `path` (the fields of {@link MethodRule.whenSet}). */
export function authoriseRequest(
  identity: string,
  path: string,
  request: unknown,
  table: ReadonlyMap<string, MethodRule> = AUTHORISATION,
): Decision {
  const rule = table.get(path);
  if (!rule?.whenSet || typeof request !== 'object' || request === null) return { allowed: true };
  for (const [field, callers] of Object.entries(rule.whenSet)) {
    if (
      isSet((request as Record<string, unknown>)[field]) &&
      !(callers as readonly string[]).includes(identity)
    )
      return {
        allowed: false,
        reason: `identity ${identity} may not call ${displayName(path)} with ${field} set (only ${callers.join(', ')} may)`,
      };
  }
  return { allowed: true };
}
