import { BatchV1Api, KubeConfig } from '@kubernetes/client-node';
import { MemoryObjectStore, type ObjectStore } from '@slca/artifacts';
import { RunStatus } from '@slca/contracts';
import {
  ExperimentStopped,
  type ExperimentConfig,
  type ExperimentResult,
  type ExperimentState,
} from '@slca/engine';
import { createLogger } from '@slca/service-kit';
import { Job } from 'kubernetes-models/batch/v1';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  jobName,
  KubernetesExecutor,
  writeRunJobReport,
  type JobSettings,
} from '../src/execution/kubernetes-executor';
import type { Peers } from '../src/execution/peers';
import type { ExecutionHooks, ExecutionInput } from '../src/execution/run-execution';
import { ReportWriter } from '../src/job';
import { FakeKubernetesApi } from './fake-kubernetes-api';

const SETTINGS: JobSettings = {
  namespace: 'slca',
  image: 'registry.example/slca/trainer:1.0.0',
  imagePullPolicy: 'IfNotPresent',
  serviceAccount: 'slca-run',
  s3Secret: 'slca-s3-trainer',
  tlsSecret: 'slca-tls-job',
  env: { SLCA_S3_ENDPOINT: 'http://minio:9000' },
  cpu: '2',
  memory: '4Gi',
  gpus: 0,
  nodeSelector: {},
  tolerations: [],
  backoffLimit: 3,
  ttlSecondsAfterFinished: 3_600,
  pollMs: 20,
};
const RUN = 'run-2026-01-02-abcd1234';
const NAME = jobName(RUN);
const quiet = createLogger({ service: 'test', write: () => undefined });

interface Seen {
  prepared: unknown[];
  evaluated: unknown[];
  checkpoints: { prefix: string; seq: number; task: number; epoch: number; step: number; reason: string }[];
  logs: string[];
  progress: unknown[];
  waiting: string[];
}

function recordingHooks(): { hooks: ExecutionHooks; seen: Seen } {
  const seen: Seen = { prepared: [], evaluated: [], checkpoints: [], logs: [], progress: [], waiting: [] };
  return {
    seen,
    hooks: {
      onProgress: (e) => void seen.progress.push(e),
      onPrepared: async (p) => void seen.prepared.push(p),
      onCheckpoint: async ({ prefix, seq, state, reason }) =>
        void seen.checkpoints.push({
          prefix,
          seq,
          task: state.task,
          epoch: state.epoch,
          step: state.step,
          reason,
        }),
      onEvaluated: async (e) => void seen.evaluated.push(e),
      onWaiting: (w) => void seen.waiting.push(w),
      log: (m) => void seen.logs.push(m),
    },
  };
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const LINEAGE = {
  dataset: 'cifar100',
  datasetDigest: 'd'.repeat(64),
  backbone: 'in21k',
  backboneDigest: 'b'.repeat(64),
  configurationId: 'cifar100/in21k/slca@v3',
  configurationVersion: 3,
  codeVersion: 'abc',
};

describe('KubernetesExecutor against a fake Kubernetes API server', () => {
  let api: FakeKubernetesApi;
  let executor: KubernetesExecutor;
  let store: MemoryObjectStore;

  beforeEach(async () => {
    api = new FakeKubernetesApi();
    const server = await api.start();
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: 'fake', server, skipTLSVerify: true }],
      users: [{ name: 'trainer', token: 'fake-token' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'trainer', namespace: 'slca' }],
      currentContext: 'fake',
    });
    executor = new KubernetesExecutor(kubeConfig.makeApiClient(BatchV1Api), SETTINGS);
    store = new MemoryObjectStore();
  });

  afterEach(async () => {
    await api.stop();
  });

  function start(stop = new AbortController(), checkpointSeq = 0, runStore: ObjectStore = store) {
    const { hooks, seen } = recordingHooks();
    const input: ExecutionInput = {
      runId: RUN,
      benchmark: 'embedded',
      config: {} as ExperimentConfig,
      checkpointEvery: 10,
      checkpointSeq,
      createdAt: new Date(0).toISOString(),
      store: runStore,
      peers: {} as Peers,
      signal: stop.signal,
      logger: quiet,
      hooks,
    };
    const result = executor.execute(input);
    // Keeps an early rejection from counting as unhandled before the test awaits it.
    result.catch(() => undefined);
    return { result, seen, stop };
  }

  /** The pod of the Job that exists now, reporting through the object store as `runJob` does. */
  async function pod(): Promise<{ writer: ReportWriter; hooks: ExecutionHooks }> {
    const uid = await until('the Job', () => api.jobs.get(NAME)?.metadata?.uid);
    const writer = new ReportWriter(store, RUN, uid, `${NAME}-abcde`, quiet);
    return { writer, hooks: writer.hooks() };
  }

  /** A run whose pod has reported task 0, and whose trainer then shuts down (the Job keeps running). */
  async function trainerShutdownAfterFirstTask() {
    const first = start();
    const { writer, hooks } = await pod();
    const uid = api.jobs.get(NAME)?.metadata?.uid;
    await hooks.onEvaluated({ task: 0, accuracy: 70, perTask: [70] });
    await until('the first relay', () => first.seen.evaluated.length > 0);
    first.stop.abort(RunStatus.RUN_STATUS_INTERRUPTED);
    await expect(first.result).rejects.toBeInstanceOf(ExperimentStopped);
    return { writer, hooks, uid };
  }

  it('creates one valid Job, relays what its pod reports once each, and returns the result on Complete', async () => {
    const { result, seen } = start();
    const { writer, hooks } = await pod();
    const posts = api.calls.filter((c) => c.method === 'POST');
    expect(posts).toHaveLength(1);
    expect(posts[0].path).toBe('/apis/batch/v1/namespaces/slca/jobs');
    expect(() => new Job(posts[0].body as never).validate()).not.toThrow();

    await hooks.onPrepared({
      splitId: 'split-1',
      tasks: 2,
      backend: 'tensorflow',
      device: 'wasm',
      lineage: LINEAGE,
    });
    hooks.log('decoding 100 images');
    await hooks.onEvaluated({ task: 0, accuracy: 91.5, perTask: [91.5] });
    await hooks.onCheckpoint({
      prefix: `runs/${RUN}/checkpoints/00000001`,
      seq: 1,
      state: { task: 0, epoch: 1, step: 4 } as ExperimentState,
      reason: 'task',
    });
    await until('the relayed checkpoint', () => seen.checkpoints.length > 0);
    await hooks.onEvaluated({ task: 1, accuracy: 80.25, perTask: [85, 75.5] });
    await writer.finish({ kind: 'succeeded', result: { accuracies: [91.5, 80.25] } as ExperimentResult });
    api.finish(NAME, 'Complete');

    expect((await result).accuracies).toEqual([91.5, 80.25]);
    expect(seen.prepared).toEqual([
      { splitId: 'split-1', tasks: 2, backend: 'tensorflow', device: 'wasm', lineage: LINEAGE },
    ]);
    expect(seen.evaluated).toEqual([
      { task: 0, accuracy: 91.5, perTask: [91.5] },
      { task: 1, accuracy: 80.25, perTask: [85, 75.5] },
    ]);
    expect(seen.checkpoints).toEqual([
      { prefix: `runs/${RUN}/checkpoints/00000001`, seq: 1, task: 0, epoch: 1, step: 4, reason: 'task' },
    ]);
    expect(seen.logs).toContain('decoding 100 images');
    expect(api.calls.filter((c) => c.method === 'DELETE')).toHaveLength(0);
  });

  it('fails the run with the pod’s own message when the podFailurePolicy failed the Job', async () => {
    const { result } = start();
    const { writer } = await pod();
    await writer.finish({ kind: 'failed', error: 'non-finite loss at task 2, epoch 1, step 7' });
    api.finish(
      NAME,
      'Failed',
      'PodFailurePolicy',
      'Container run for pod slca/x-abcde failed with exit code 3',
    );
    await expect(result).rejects.toThrow(/^non-finite loss at task 2, epoch 1, step 7$/);
  });

  it('names the Job’s reason and the last error when the retries ran out', async () => {
    const { result } = start();
    const { writer } = await pod();
    await writer.finish({ kind: 'retry', error: 'evaluator UNAVAILABLE' });
    api.finish(NAME, 'Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit');
    await expect(result).rejects.toThrow(/BackoffLimitExceeded.*evaluator UNAVAILABLE/);
  });

  it('cancel deletes the Job with propagationPolicy Background and stops the run', async () => {
    const { result, stop } = start();
    await pod();
    stop.abort(RunStatus.RUN_STATUS_CANCELLED);
    await expect(result).rejects.toBeInstanceOf(ExperimentStopped);
    const deletes = api.calls.filter((c) => c.method === 'DELETE');
    expect(deletes).toHaveLength(1);
    expect(deletes[0].path).toBe(`/apis/batch/v1/namespaces/slca/jobs/${NAME}`);
    const policy =
      deletes[0].query.get('propagationPolicy') ??
      (deletes[0].body as { propagationPolicy?: string } | undefined)?.propagationPolicy;
    expect(policy).toBe('Background');
    expect(api.jobs.has(NAME)).toBe(false);
  });

  it('a trainer shutdown leaves the Job running, and the next trainer adopts it instead of starting another', async () => {
    const { writer, hooks, uid } = await trainerShutdownAfterFirstTask();
    expect(api.calls.filter((c) => c.method === 'DELETE')).toHaveLength(0);
    expect(api.jobs.get(NAME)?.metadata?.uid).toBe(uid);

    // Slow reads widen the gap between the second trainer's 409 and its read of the Job, where a test that
    // ended the Job too early would make it start another.
    api.readDelayMs = 100;
    const second = start();
    // Wait for the adoption itself (its 409 and then its read of the running Job), not just its POST: a
    // Job that has ended by the time the second trainer reads it is replaced, rightly, by a new one.
    await until('the second trainer to adopt the Job', () =>
      second.seen.logs.some((l) => l.includes('already running')),
    );
    expect(api.calls.filter((c) => c.method === 'POST')).toHaveLength(2);
    // The pod kept training meanwhile; the new trainer relays what it reports from now on.
    await hooks.onEvaluated({ task: 1, accuracy: 60, perTask: [65, 55] });
    await writer.finish({ kind: 'succeeded', result: { accuracies: [70, 60] } as ExperimentResult });
    api.finish(NAME, 'Complete');
    expect((await second.result).accuracies).toEqual([70, 60]);
    expect(api.jobs.get(NAME)?.metadata?.uid).toBe(uid);
    expect(second.seen.evaluated).toContainEqual({ task: 1, accuracy: 60, perTask: [65, 55] });
  });

  it('takes the result of a Job that completed while no trainer followed it, instead of training again', async () => {
    const { writer, hooks, uid } = await trainerShutdownAfterFirstTask();
    // The pod finishes while the trainer is down.
    await hooks.onEvaluated({ task: 1, accuracy: 60, perTask: [65, 55] });
    await writer.finish({ kind: 'succeeded', result: { accuracies: [70, 60] } as ExperimentResult });
    api.finish(NAME, 'Complete');

    const second = start();
    expect((await second.result).accuracies).toEqual([70, 60]);
    expect(api.calls.filter((c) => c.method === 'DELETE')).toHaveLength(0);
    expect(api.jobs.get(NAME)?.metadata?.uid).toBe(uid);
    expect(second.seen.logs.some((l) => l.includes('taking its result'))).toBe(true);
    expect(second.seen.evaluated).toEqual([
      { task: 0, accuracy: 70, perTask: [70] },
      { task: 1, accuracy: 60, perTask: [65, 55] },
    ]);
  });

  it('replaces an ended Job of an earlier attempt and ignores that Job’s report', async () => {
    const first = start();
    const { writer } = await pod();
    const oldUid = api.jobs.get(NAME)?.metadata?.uid;
    await writer.finish({ kind: 'failed', error: 'corrupt image 17' });
    api.finish(NAME, 'Failed', 'PodFailurePolicy', 'exit code 3');
    await expect(first.result).rejects.toThrow('corrupt image 17');

    // The run is resumed: its old Job (and its old report) must not decide the new attempt.
    const second = start(new AbortController(), 4);
    const newUid = await until('a new Job', () => {
      const uid = api.jobs.get(NAME)?.metadata?.uid;
      return uid && uid !== oldUid ? uid : undefined;
    });
    expect(api.calls.filter((c) => c.method === 'DELETE')).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 5 * SETTINGS.pollMs));
    const fresh = new ReportWriter(store, RUN, newUid, 'p2', quiet);
    await fresh.finish({ kind: 'succeeded', result: { accuracies: [50] } as ExperimentResult });
    api.finish(NAME, 'Complete');
    expect((await second.result).accuracies).toEqual([50]);
  });

  it('rides out a briefly unavailable API server, and hands the run back as transient when it stays away', async () => {
    api.failReads = 3;
    const brief = start();
    const { writer } = await pod();
    await writer.finish({ kind: 'succeeded', result: { accuracies: [1] } as ExperimentResult });
    api.finish(NAME, 'Complete');
    expect((await brief.result).accuracies).toEqual([1]);

    api.jobs.clear();
    api.failReads = 1_000;
    const away = start();
    await expect(away.result).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('shows what the pod’s run waits for, as the trainer service does, and names the store when it cannot read the report', async () => {
    // The trainer's view of the store, which can be cut off while the pod's writes still land.
    let unreachable = false;
    const view: ObjectStore = Object.assign(Object.create(store) as ObjectStore, {
      description: 'http://minio:9000/slca',
      get: (key: string) =>
        unreachable
          ? Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'unavailable' }))
          : store.get(key),
    });
    const { result, seen } = start(new AbortController(), 0, view);
    const { writer, hooks } = await pod();
    hooks.onWaiting?.('the evaluator at evaluator:50054');
    await until('the relayed wait', () => seen.waiting.length > 0);
    expect(seen.waiting).toEqual(['the evaluator at evaluator:50054']);
    unreachable = true;
    await until('the wait for the store', () => seen.waiting.length > 1);
    expect(seen.waiting.at(-1)).toBe('the object store at http://minio:9000/slca');
    hooks.onWaiting?.('');
    unreachable = false;
    await until('the end of the wait', () => seen.waiting.at(-1) === '');
    // Each change once, in order, though the report was read many times.
    expect(seen.waiting).toEqual([
      'the evaluator at evaluator:50054',
      'the object store at http://minio:9000/slca',
      '',
    ]);
    await writer.finish({ kind: 'succeeded', result: { accuracies: [1] } as ExperimentResult });
    api.finish(NAME, 'Complete');
    expect((await result).accuracies).toEqual([1]);
  });

  it('fails the run when its Job is deleted outside the trainer', async () => {
    const { result } = start();
    await pod();
    api.jobs.delete(NAME);
    await expect(result).rejects.toThrow(/deleted outside the trainer/);
  });

  it('does not take a report without the current Job’s uid as the outcome', async () => {
    const { result, seen } = start();
    await pod();
    await writeRunJobReport(store, {
      runId: RUN,
      jobUid: 'some-earlier-job',
      pod: 'old',
      updatedAtMs: 0,
      evaluated: [{ task: 0, accuracy: 1, perTask: [1] }],
      logs: [{ seq: 1, line: 'old line' }],
      outcome: { kind: 'succeeded', result: { accuracies: [1] } as ExperimentResult },
    });
    api.finish(NAME, 'Complete');
    await expect(result).rejects.toThrow(/reported no result/);
    expect(seen.evaluated).toEqual([]);
    expect(seen.logs).not.toContain('old line');
  });
});
