import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { BatchV1Api, V1EnvVar, V1Job, V1JobCondition, V1Toleration } from '@kubernetes/client-node';
import { isArtifactError, logKey, type ObjectStore } from '@slca/artifacts';
import { RunStatus } from '@slca/contracts';
import {
  ExperimentStopped,
  type CheckpointReason,
  type ExperimentResult,
  type ExperimentState,
  type ProgressEvent,
} from '@slca/engine';
import { ConfigError, TLS_ENV, type ConfigOf } from '@slca/service-kit';
import type { KUBERNETES_EXECUTOR_CONFIG } from '../config';
import { isTransient } from '../runs/retry-policy';
import type { RunExecutor } from './executor';
import { describeDependency } from './outages';
import type { ExecutionHooks, ExecutionInput } from './run-execution';

/**
 * Exit codes of a run Job's container, the one definition both the pod (`job.ts`) and the Job's
 * podFailurePolicy use.
 */
export const RUN_JOB_EXIT = {
  succeeded: 0,
  /** Something another attempt may get past (a peer unreachable, the pod stopped): the Job retries. */
  retry: 1,
  /** Invalid input or a diverged run: another attempt would fail the same way, so the Job fails at once. */
  failed: 3,
} as const;

export const RUN_CONTAINER = 'run';
/** The run id, exactly (an annotation: run ids may not be valid label values). */
export const RUN_ID_ANNOTATION = 'slca.dev/run-id';
/** A label-safe form of the run id, to select a run's pods. */
export const RUN_LABEL = 'slca.dev/run';
/** Where the run's pod reports to the trainer: runs/<id>/logs/<this>. */
export const RUN_JOB_REPORT_FILE = 'job-status.json';
/** A run pod checkpoints on SIGTERM at its next step boundary; a ViT-B checkpoint needs room. */
export const RUN_POD_GRACE_SECONDS = 120;
/** The trainer bundle inside the image (WORKDIR /app, see deploy/docker/Dockerfile.trainer). */
export const RUN_ENTRY = ['node', '/app/dist/apps/trainer/main.js', '--run-job'];
/** The label the Job controller puts on its pods: the Job's uid. */
const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
/** Where a run pod finds its certificate (the Job's TLS Secret). */
export const RUN_TLS_DIR = '/etc/slca/tls';
const IN_CLUSTER_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';
/** Consecutive failed looks at the Job before the run is handed back as transiently failed. */
const API_FAILURES_TOLERATED = 5;

/** How run Jobs are shaped; built once at boot from the trainer's configuration. */
export interface JobSettings {
  namespace: string;
  image: string;
  imagePullPolicy: 'IfNotPresent' | 'Always' | 'Never';
  serviceAccount: string;
  /** Secret with keys SLCA_S3_ACCESS_KEY and SLCA_S3_SECRET_KEY; never copied into the Job. */
  s3Secret: string;
  /** Secret with the run pods' certificate (identity `job`): ca.crt, tls.crt, tls.key; mounted, never copied. */
  tlsSecret: string;
  /** Plain environment of the run container: object store endpoint, peers, compute settings. */
  env: Record<string, string>;
  cpu: string;
  memory: string;
  gpus: number;
  nodeSelector: Record<string, string>;
  tolerations: V1Toleration[];
  backoffLimit: number;
  ttlSecondsAfterFinished: number;
  pollMs: number;
}

/** The trainer's variables a run pod needs as they are (secrets travel as Secret references instead). */
export const RUN_POD_ENV = [
  'SLCA_S3_ENDPOINT',
  'SLCA_S3_BUCKET',
  'SLCA_S3_REGION',
  'SLCA_SPLITTER_ADDRESS',
  'SLCA_STATS_STORE_ADDRESS',
  'SLCA_EVALUATOR_ADDRESS',
  'SLCA_TRAINER_WORKERS',
  'SLCA_CHECKPOINT_EVERY',
  'SLCA_PEER_DEADLINE',
  'SLCA_IMPORT_DEADLINE',
  'SLCA_LOG_LEVEL',
] as const;

/** Job settings from the validated configuration; the JSON-valued variables are checked here. */
export function jobSettingsFrom(
  config: ConfigOf<typeof KUBERNETES_EXECUTOR_CONFIG>,
  env: NodeJS.ProcessEnv,
  namespaceFile = IN_CLUSTER_NAMESPACE_FILE,
): JobSettings {
  const problems: { variable: string; problem: string }[] = [];
  const parse = <T>(
    variable: string,
    raw: string,
    ok: (v: unknown) => v is T,
    shape: string,
  ): T | undefined => {
    try {
      const value: unknown = JSON.parse(raw);
      if (ok(value)) return value;
    } catch {
      // reported below
    }
    problems.push({ variable, problem: `must be a JSON ${shape}` });
    return undefined;
  };
  const nodeSelector = parse(
    'SLCA_JOB_NODE_SELECTOR',
    config.SLCA_JOB_NODE_SELECTOR,
    (v): v is Record<string, string> =>
      !!v &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      Object.values(v).every((x) => typeof x === 'string'),
    'object of strings',
  );
  const tolerations = parse(
    'SLCA_JOB_TOLERATIONS',
    config.SLCA_JOB_TOLERATIONS,
    (v): v is V1Toleration[] => Array.isArray(v) && v.every((t) => !!t && typeof t === 'object'),
    'array of tolerations',
  );
  if (config.SLCA_JOB_IMAGE.trim() === '')
    problems.push({ variable: 'SLCA_JOB_IMAGE', problem: 'required when SLCA_EXECUTOR=kubernetes' });
  let namespace = config.SLCA_JOB_NAMESPACE;
  if (!namespace) {
    try {
      namespace = readFileSync(namespaceFile, 'utf8').trim();
    } catch {
      problems.push({ variable: 'SLCA_JOB_NAMESPACE', problem: 'required outside a pod' });
    }
  }
  if (problems.length) throw new ConfigError(problems);
  const passed: Record<string, string> = {};
  for (const name of RUN_POD_ENV) {
    const value = env[name];
    if (value !== undefined && value !== '') passed[name] = value;
  }
  return {
    namespace,
    image: config.SLCA_JOB_IMAGE.trim(),
    imagePullPolicy: config.SLCA_JOB_IMAGE_PULL_POLICY,
    serviceAccount: config.SLCA_JOB_SERVICE_ACCOUNT,
    s3Secret: config.SLCA_JOB_S3_SECRET,
    tlsSecret: config.SLCA_JOB_TLS_SECRET,
    env: passed,
    cpu: config.SLCA_JOB_CPU,
    memory: config.SLCA_JOB_MEMORY,
    gpus: config.SLCA_JOB_GPUS,
    nodeSelector: nodeSelector ?? {},
    tolerations: tolerations ?? [],
    backoffLimit: config.SLCA_JOB_BACKOFF_LIMIT,
    ttlSecondsAfterFinished: Math.round(config.SLCA_JOB_TTL / 1000),
    pollMs: config.SLCA_JOB_POLL,
  };
}

const shortHash = (text: string, length: number) =>
  createHash('sha256').update(text).digest('hex').slice(0, length);

/**
 * The Job's name: one per run, so a trainer that restarts finds (and adopts) the Job it created. Run ids
 * that are not DNS labels, or too long for one, get a digest suffix so two runs never share a name.
 */
export function jobName(runId: string): string {
  const plain = `slca-${runId}`;
  if (/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(plain) && plain.length <= 63) return plain;
  const stem = runId
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 44)
    .replace(/-+$/, '');
  return `slca-${stem}${stem ? '-' : ''}${shortHash(runId, 12)}`;
}

function runLabel(runId: string): string {
  return /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/.test(runId) && runId.length <= 63
    ? runId
    : `h-${shortHash(runId, 16)}`;
}

/**
 * The Job that executes one run: its pod runs the trainer bundle in run-one-job mode, which continues the
 * run from its latest checkpoint, so a replacement pod picks up where the last one stopped. Disruptions
 * (preemption, node drain) do not count against `backoffLimit`; the "invalid input / diverged" exit code
 * fails the Job at once.
 */
export function jobFor(run: { id: string }, settings: JobSettings): V1Job {
  const labels = {
    'app.kubernetes.io/name': 'slca-run',
    'app.kubernetes.io/part-of': 'slca',
    'app.kubernetes.io/component': 'run',
    'app.kubernetes.io/managed-by': 'slca-trainer',
    [RUN_LABEL]: runLabel(run.id),
  };
  const annotations = { [RUN_ID_ANNOTATION]: run.id };
  const resources: Record<string, string> = { cpu: settings.cpu, memory: settings.memory };
  if (settings.gpus > 0) resources['nvidia.com/gpu'] = String(settings.gpus);
  const env: V1EnvVar[] = [
    ...Object.entries(settings.env).map(([name, value]) => ({ name, value })),
    ...(['SLCA_S3_ACCESS_KEY', 'SLCA_S3_SECRET_KEY'] as const).map((name) => ({
      name,
      valueFrom: { secretKeyRef: { name: settings.s3Secret, key: name } },
    })),
    // The pod's reports carry its Job's uid, so the trainer never mistakes an earlier Job's report for it.
    {
      name: 'SLCA_JOB_UID',
      valueFrom: { fieldRef: { fieldPath: `metadata.labels['${CONTROLLER_UID_LABEL}']` } },
    },
    { name: 'SLCA_POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    // The pod calls the services over mutual TLS as identity `job` (see the authorisation table).
    { name: TLS_ENV.ca, value: `${RUN_TLS_DIR}/ca.crt` },
    { name: TLS_ENV.cert, value: `${RUN_TLS_DIR}/tls.crt` },
    { name: TLS_ENV.key, value: `${RUN_TLS_DIR}/tls.key` },
  ];
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: jobName(run.id), namespace: settings.namespace, labels, annotations },
    spec: {
      completions: 1,
      parallelism: 1,
      backoffLimit: settings.backoffLimit,
      ttlSecondsAfterFinished: settings.ttlSecondsAfterFinished,
      // A replacement starts only once the previous pod has ended: two pods never write one run at once.
      podReplacementPolicy: 'Failed',
      podFailurePolicy: {
        rules: [
          { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
          {
            action: 'FailJob',
            onExitCodes: { containerName: RUN_CONTAINER, operator: 'In', values: [RUN_JOB_EXIT.failed] },
          },
        ],
      },
      template: {
        metadata: { labels, annotations },
        spec: {
          restartPolicy: 'Never',
          serviceAccountName: settings.serviceAccount,
          automountServiceAccountToken: false,
          terminationGracePeriodSeconds: RUN_POD_GRACE_SECONDS,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 1000,
            runAsGroup: 1000,
            fsGroup: 1000,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          ...(Object.keys(settings.nodeSelector).length ? { nodeSelector: settings.nodeSelector } : {}),
          ...(settings.tolerations.length ? { tolerations: settings.tolerations } : {}),
          containers: [
            {
              name: RUN_CONTAINER,
              image: settings.image,
              imagePullPolicy: settings.imagePullPolicy,
              command: [...RUN_ENTRY, run.id],
              workingDir: '/app',
              env,
              resources: { requests: { ...resources }, limits: { ...resources } },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: [
                { name: 'tmp', mountPath: '/tmp' },
                { name: 'tls', mountPath: RUN_TLS_DIR, readOnly: true },
              ],
            },
          ],
          volumes: [
            { name: 'tmp', emptyDir: { sizeLimit: '2Gi' } },
            { name: 'tls', secret: { secretName: settings.tlsSecret, defaultMode: 0o440 } },
          ],
        },
      },
    },
  };
}

/** What a run's pod tells the trainer, in the object store (runs/<id>/logs/job-status.json). */
export interface RunJobReport {
  runId: string;
  /** uid of the Job whose pod wrote this; the trainer ignores reports of an earlier Job of the run. */
  jobUid: string;
  pod: string;
  updatedAtMs: number;
  prepared?: Parameters<ExecutionHooks['onPrepared']>[0];
  checkpoint?: {
    prefix: string;
    seq: number;
    task: number;
    epoch: number;
    step: number;
    reason: CheckpointReason;
  };
  /** Evaluations in task order (kept across the pods of one Job). */
  evaluated: { task: number; accuracy: number; perTask: number[] }[];
  progress?: ProgressEvent;
  progressAtMs?: number;
  /** The newest log lines, numbered across the pods of one Job. */
  logs: { seq: number; line: string }[];
  /** What the pod's run waits for ("the evaluator at …"), '' or absent when it waits for nothing. */
  waitingFor?: string;
  outcome?: { kind: 'succeeded'; result: ExperimentResult } | { kind: 'failed' | 'retry'; error: string };
}

export async function readRunJobReport(store: ObjectStore, runId: string): Promise<RunJobReport | undefined> {
  try {
    return JSON.parse((await store.get(logKey(runId, RUN_JOB_REPORT_FILE))).toString('utf8')) as RunJobReport;
  } catch (error) {
    if (isArtifactError(error) && error.code === 'not_found') return undefined;
    throw error;
  }
}

export async function writeRunJobReport(store: ObjectStore, report: RunJobReport): Promise<void> {
  await store.put(logKey(report.runId, RUN_JOB_REPORT_FILE), Buffer.from(JSON.stringify(report)), {
    contentType: 'application/json',
  });
}

const httpStatus = (error: unknown) => (error as { code?: unknown } | null)?.code;

const condition = (job: V1Job, type: string): V1JobCondition | undefined =>
  job.status?.conditions?.find((c) => c.type === type && c.status === 'True');

/** A Job that has ended, one way or the other. */
const finished = (job: V1Job) => condition(job, 'Complete') ?? condition(job, 'Failed');

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}

/**
 * Passes what the pod reported on to the run manager's hooks, each thing once and in order, so the trainer
 * stays the only writer of the run record while the pod trains.
 */
class ReportRelay {
  private logSeq = 0;
  private waitingFor = '';
  private prepared = '';
  private progressAtMs = 0;
  private evaluatedUpTo = -1;
  private checkpointSeq: number;
  position = { task: 0, epoch: 0, step: 0 };

  constructor(
    private readonly input: ExecutionInput,
    private readonly jobUid: string,
  ) {
    this.checkpointSeq = input.checkpointSeq;
  }

  /** Tells the run manager what the run waits for, when that changed. */
  waiting(waitingFor: string): void {
    if (waitingFor === this.waitingFor) return;
    this.waitingFor = waitingFor;
    this.input.hooks.onWaiting?.(waitingFor);
  }

  async forward(report: RunJobReport | undefined): Promise<void> {
    if (!report || report.jobUid !== this.jobUid) return;
    const hooks = this.input.hooks;
    this.waiting(report.waitingFor ?? '');
    for (const { seq, line } of report.logs) {
      if (seq <= this.logSeq) continue;
      this.logSeq = seq;
      hooks.log(line);
    }
    if (report.prepared && JSON.stringify(report.prepared) !== this.prepared) {
      this.prepared = JSON.stringify(report.prepared);
      await hooks.onPrepared(report.prepared);
    }
    if (report.progress && report.progressAtMs !== this.progressAtMs) {
      this.progressAtMs = report.progressAtMs ?? 0;
      hooks.onProgress(report.progress);
      if (report.progress.phase === 'train') {
        const { task, epoch, step } = report.progress;
        this.position = { task, epoch, step };
      }
    }
    for (const e of [...report.evaluated].sort((a, b) => a.task - b.task)) {
      if (e.task <= this.evaluatedUpTo) continue;
      this.evaluatedUpTo = e.task;
      await hooks.onEvaluated(e);
    }
    const c = report.checkpoint;
    if (c && c.seq > this.checkpointSeq) {
      this.checkpointSeq = c.seq;
      this.position = { task: c.task, epoch: c.epoch, step: c.step };
      await hooks.onCheckpoint({
        prefix: c.prefix,
        seq: c.seq,
        state: positionOnly(this.position),
        reason: c.reason,
      });
    }
  }
}

/**
 * The engine's state stays in the pod (and its checkpoint); the trainer knows only where the run is. The
 * run manager's hooks read nothing else of a checkpoint's state.
 */
function positionOnly(position: { task: number; epoch: number; step: number }): ExperimentState {
  return position as ExperimentState;
}

/**
 * Runs each run as a Kubernetes Job (one per run, created through the API with the trainer's
 * ServiceAccount), follows it by polling the Job and the pod's report in the object store, and deletes it
 * when the run is cancelled. When the trainer itself stops, the Job keeps running and the next trainer
 * adopts it.
 */
export class KubernetesExecutor implements RunExecutor {
  readonly kind = 'kubernetes';

  constructor(
    private readonly api: BatchV1Api,
    private readonly settings: JobSettings,
  ) {}

  async execute(input: ExecutionInput): Promise<ExperimentResult> {
    const { namespace } = this.settings;
    const name = jobName(input.runId);
    const job = await this.ensureJob(input);
    const uid = job.metadata?.uid ?? '';
    const relay = new ReportRelay(input, uid);
    let apiFailures = 0;
    for (;;) {
      if (input.signal.aborted) return this.stop(input, name, relay);
      let current: V1Job;
      try {
        current = await this.api.readNamespacedJob({ name, namespace });
        apiFailures = 0;
      } catch (error) {
        if (httpStatus(error) === 404)
          throw new Error(
            `the Job ${namespace}/${name} of run ${input.runId} was deleted outside the trainer`,
          );
        apiFailures += 1;
        if (apiFailures > API_FAILURES_TOLERATED)
          throw Object.assign(
            new Error(
              `the Kubernetes API did not answer about Job ${namespace}/${name}: ${(error as Error).message}`,
            ),
            { code: 'unavailable' },
          );
        await sleep(this.settings.pollMs, input.signal);
        continue;
      }
      if (current.metadata?.uid !== uid)
        throw new Error(`the Job ${namespace}/${name} was replaced outside this trainer; resume the run`);
      const report = await readRunJobReport(input.store, input.runId).catch((error: unknown) => {
        // The pod cannot report through a store the trainer cannot reach either: the run waits for it.
        if (isTransient(error))
          relay.waiting(describeDependency('object-store', { 'object-store': input.store.description }));
        return undefined;
      });
      await relay.forward(report);
      const outcome = report?.jobUid === uid ? report.outcome : undefined;
      if (condition(current, 'Complete')) {
        if (outcome?.kind !== 'succeeded')
          throw new Error(`the Job ${namespace}/${name} completed but its pod reported no result`);
        return outcome.result;
      }
      const failed = condition(current, 'Failed');
      if (failed) {
        const why = outcome && outcome.kind !== 'succeeded' ? outcome.error : 'no report from its pod';
        throw new Error(
          failed.reason === 'PodFailurePolicy'
            ? why
            : `the run's Job failed (${failed.reason ?? 'unknown reason'}: ${failed.message ?? ''}); last error: ${why}`,
        );
      }
      await sleep(this.settings.pollMs, input.signal);
    }
  }

  /**
   * The run's Job: a new one, the one already running for it (a previous trainer created it), the one that
   * completed with a result while no trainer followed it, or a fresh one in place of a Job that has ended
   * otherwise (the run failed or was cancelled and is resumed now).
   */
  private async ensureJob(input: ExecutionInput): Promise<V1Job> {
    const { namespace } = this.settings;
    const body = jobFor({ id: input.runId }, this.settings);
    const name = body.metadata?.name ?? '';
    for (let attempt = 0; ; attempt += 1) {
      try {
        const created = await this.api.createNamespacedJob({ namespace, body });
        input.hooks.log(`created Job ${namespace}/${name}`);
        return created;
      } catch (error) {
        if (httpStatus(error) !== 409 || attempt >= 5) throw error;
      }
      const existing = await this.api.readNamespacedJob({ name, namespace }).catch((error: unknown) => {
        if (httpStatus(error) === 404) return undefined;
        throw error;
      });
      if (existing && !finished(existing)) {
        input.hooks.log(`following Job ${namespace}/${name}, already running for this run`);
        return existing;
      }
      if (existing && (await this.completedWithResult(input, existing))) {
        input.hooks.log(`Job ${namespace}/${name} completed while no trainer followed it; taking its result`);
        return existing;
      }
      if (existing) await this.deleteJob(name);
      await sleep(Math.min(200 * 2 ** attempt, this.settings.pollMs), input.signal);
    }
  }

  /**
   * A Job that completed, with its own pod's result in the store (it finished while the trainer was down):
   * its result stands, so the run is not trained again. A failed Job is replaced instead: the run is being
   * resumed, and that is what its user asked for.
   */
  private async completedWithResult(input: ExecutionInput, job: V1Job): Promise<boolean> {
    if (!condition(job, 'Complete')) return false;
    const report = await readRunJobReport(input.store, input.runId).catch(() => undefined);
    return report?.jobUid === job.metadata?.uid && report?.outcome?.kind === 'succeeded';
  }

  private async deleteJob(name: string): Promise<void> {
    try {
      await this.api.deleteNamespacedJob({
        name,
        namespace: this.settings.namespace,
        propagationPolicy: 'Background',
      });
    } catch (error) {
      if (httpStatus(error) !== 404) throw error;
    }
  }

  /** Cancel deletes the Job (its pod checkpoints on SIGTERM); a trainer shutdown leaves it running. */
  private async stop(input: ExecutionInput, name: string, relay: ReportRelay): Promise<never> {
    if (input.signal.reason === RunStatus.RUN_STATUS_CANCELLED) {
      await this.deleteJob(name);
      input.hooks.log(`deleted Job ${this.settings.namespace}/${name}`);
    }
    throw new ExperimentStopped(positionOnly(relay.position));
  }
}

/** The executor with the pod's in-cluster credentials (the trainer's ServiceAccount). */
export async function createKubernetesExecutor(settings: JobSettings): Promise<KubernetesExecutor> {
  // Loaded only in this mode: the in-process trainer never pays for the Kubernetes client.
  const k8s = await import('@kubernetes/client-node');
  const kubeConfig = new k8s.KubeConfig();
  kubeConfig.loadFromCluster();
  return new KubernetesExecutor(kubeConfig.makeApiClient(k8s.BatchV1Api), settings);
}
