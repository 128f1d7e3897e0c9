import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchV1Api, KubeConfig } from '@kubernetes/client-node';
import { RunStatus } from '@slca/contracts';
import { createLogger, loadConfig, testCertificates } from '@slca/service-kit';
import {
  REPO_ROOT,
  startObjectStore,
  startServiceUnderTest,
  writeCifar100Release,
  type ObjectStoreFixture,
  type ServiceUnderTest,
} from '@slca/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRAINER_CONFIG } from '../src/config';
import { jobName, KubernetesExecutor, type JobSettings } from '../src/execution/kubernetes-executor';
import type { Peers } from '../src/execution/peers';
import { connectPeers, runJob } from '../src/job';
import { RunManager } from '../src/runs/run-manager';
import { FakeKubernetesApi } from './fake-kubernetes-api';

/**
 * A paper-benchmark experiment as a Kubernetes Job: the trainer (Kubernetes executor, against the fake API
 * server) creates the Job from the run record, the test plays the pod by running the Job's entry point
 * (`runJob`, what `main.js --run-job <id>` runs) against the real services, and the result equals the same
 * experiment run by the in-process executor, bit for bit.
 */

const TINY = { imageSize: 8, patchSize: 4, dim: 8, depth: 1, heads: 2, mlpDim: 16 };
const EXPERIMENT = {
  extends: 'cifar100/in21k/slca',
  dataset: 'cifar-k8s',
  backbone: 'tiny',
  arch: TINY,
  initClasses: 50,
  increment: 50,
  stage1: { epochs: 1, batchSize: 32 },
  alignment: { epochs: 1, samplesPerClass: 8, batchSize: 64 },
  compute: { backend: 'wasm', shards: 2 },
};
const quiet = createLogger({ service: 'test', write: () => undefined });

let dir: string;
let fixture: ObjectStoreFixture;
const services: ServiceUnderTest[] = [];
let env: Record<string, string>;
let peers: Peers;
let api: FakeKubernetesApi;
let kubeApi: BatchV1Api;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'slca-k8s-experiment-'));
  fixture = await startObjectStore();
  const splitter = await startServiceUnderTest('splitter', fixture, 60_000);
  const stats = await startServiceUnderTest('stats-store', fixture, 60_000);
  const evaluator = await startServiceUnderTest('evaluator', fixture, 60_000);
  services.push(splitter, stats, evaluator);
  env = {
    ...fixture.env,
    SLCA_SPLITTER_ADDRESS: splitter.address,
    SLCA_STATS_STORE_ADDRESS: stats.address,
    SLCA_EVALUATOR_ADDRESS: evaluator.address,
    SLCA_TRAINER_WORKERS: '0',
  };
  await splitter.client.importBenchmarkDataset({
    name: 'cifar-k8s',
    format: 'cifar100',
    path: writeCifar100Release(dir),
  });
  await splitter.client.registerBackbone({
    name: 'tiny',
    arch: JSON.stringify(TINY),
    path: join(REPO_ROOT, 'libs/engine/test/fixtures/torch/vit-tiny.pt'),
  });
  // The trainer calls as itself; the Job's pod (played below) as identity job.
  const certs = await testCertificates();
  peers = connectPeers(loadConfig(TRAINER_CONFIG, env), certs.material('trainer'));
  env = { ...env, ...certs.env('job') };
  api = new FakeKubernetesApi();
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'fake', server: await api.start(), skipTLSVerify: true }],
    users: [{ name: 'trainer', token: 'fake-token' }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'trainer', namespace: 'slca' }],
    currentContext: 'fake',
  });
  kubeApi = kubeConfig.makeApiClient(BatchV1Api);
}, 180_000);

afterAll(async () => {
  peers?.close();
  await api?.stop();
  for (const s of services) await s.stop();
  await fixture?.close();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

const SETTINGS: JobSettings = {
  namespace: 'slca',
  image: 'registry.example/slca/trainer:1.0.0',
  imagePullPolicy: 'IfNotPresent',
  serviceAccount: 'slca-run',
  s3Secret: 'slca-s3-trainer',
  tlsSecret: 'slca-tls-job',
  env: {},
  cpu: '2',
  memory: '4Gi',
  gpus: 0,
  nodeSelector: {},
  tolerations: [],
  backoffLimit: 3,
  ttlSecondsAfterFinished: 3_600,
  pollMs: 50,
};

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 120_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function manager(executor?: KubernetesExecutor): RunManager {
  return new RunManager({
    store: fixture.store,
    peers,
    logger: quiet,
    workers: 0,
    checkpointEvery: 50,
    concurrency: 1,
    executor,
  });
}

const request = (runId: string) => ({
  runId,
  benchmark: '',
  method: '',
  seed: 1993,
  epochs: 0,
  checkpointEvery: 0,
  tags: [],
  configOverridesJson: '',
  experimentJson: JSON.stringify(EXPERIMENT),
  set: [],
  validateOnly: false,
});

const ended = (runs: RunManager, id: string) => {
  const status = runs.get(id).status;
  return status === RunStatus.RUN_STATUS_SUCCEEDED || status === RunStatus.RUN_STATUS_FAILED
    ? status
    : undefined;
};

describe('a paper-benchmark experiment through the Kubernetes executor', () => {
  it('the Job runs what the run record says, with the in-process executor’s accuracies bit for bit', async () => {
    const k8s = manager(new KubernetesExecutor(kubeApi, SETTINGS));
    const local = manager();
    try {
      await k8s.start(request('k8s-cifar'));
      const job = await until('the Job', () => api.jobs.get(jobName('k8s-cifar')));
      // The pod: the Job's own command, against the real services and object store.
      expect(job.spec?.template.spec?.containers[0].command).toEqual(
        expect.arrayContaining(['--run-job', 'k8s-cifar']),
      );
      const code = await runJob('k8s-cifar', {
        ...env,
        SLCA_JOB_UID: job.metadata?.uid ?? '',
        SLCA_POD_NAME: 'pod-1',
      });
      expect(code).toBe(0);
      api.finish(jobName('k8s-cifar'), 'Complete');
      expect(await until('the Kubernetes run to end', () => ended(k8s, 'k8s-cifar'))).toBe(
        RunStatus.RUN_STATUS_SUCCEEDED,
      );

      await local.start(request('local-cifar'));
      expect(await until('the in-process run to end', () => ended(local, 'local-cifar'), 300_000)).toBe(
        RunStatus.RUN_STATUS_SUCCEEDED,
      );
      const a = k8s.get('k8s-cifar');
      const b = local.get('local-cifar');
      expect(a.accuracies).toHaveLength(2);
      expect(a.accuracies).toEqual(b.accuracies);
      expect(a.lastAcc).toBe(b.lastAcc);
      expect(a.lineage).toMatchObject({
        dataset: 'cifar-k8s',
        backbone: 'tiny',
        configurationId: 'cifar100/in21k/slca@v3',
      });
      expect(a.lineage?.backboneDigest).toBe(b.lineage?.backboneDigest);
      expect(JSON.parse(a.configJson)).toMatchObject({
        benchmark: 'cifar100',
        dataset: 'cifar-k8s',
        testTransform: { crop: 8 },
      });
    } finally {
      await k8s.shutdown();
      await local.shutdown();
    }
  }, 600_000);
});
