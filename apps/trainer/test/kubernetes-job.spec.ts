import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '@slca/service-kit';
import { Job } from 'kubernetes-models/batch/v1';
import { describe, expect, it } from 'vitest';
import { KUBERNETES_EXECUTOR_CONFIG } from '../src/config';
import {
  jobFor,
  jobName,
  jobSettingsFrom,
  RUN_CONTAINER,
  RUN_ID_ANNOTATION,
  RUN_JOB_EXIT,
  type JobSettings,
} from '../src/execution/kubernetes-executor';

const CPU_SETTINGS: JobSettings = {
  namespace: 'slca',
  image: 'registry.example/slca/trainer:1.0.0',
  imagePullPolicy: 'IfNotPresent',
  serviceAccount: 'slca-run',
  s3Secret: 'slca-s3-trainer',
  tlsSecret: 'slca-tls-job',
  env: {
    SLCA_S3_ENDPOINT: 'http://minio:9000',
    SLCA_SPLITTER_ADDRESS: 'splitter:50051',
    SLCA_STATS_STORE_ADDRESS: 'stats-store:50053',
    SLCA_EVALUATOR_ADDRESS: 'evaluator:50054',
  },
  cpu: '2',
  memory: '4Gi',
  gpus: 0,
  nodeSelector: {},
  tolerations: [],
  backoffLimit: 3,
  ttlSecondsAfterFinished: 86_400,
  pollMs: 2_000,
};

const GPU_SETTINGS: JobSettings = {
  ...CPU_SETTINGS,
  image: 'registry.example/slca/trainer-gpu:1.0.0',
  gpus: 1,
  nodeSelector: { 'nvidia.com/gpu.present': 'true' },
  tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
};

/** The Kubernetes schema check; client-node's V1Job types enum fields as plain strings, hence the cast. */
const validateJob = (job: ReturnType<typeof jobFor>) =>
  new Job(job as ConstructorParameters<typeof Job>[0]).validate();

const podOf = (job: ReturnType<typeof jobFor>) => {
  const pod = job.spec?.template.spec;
  if (!pod) throw new Error('the Job has no pod template');
  return pod;
};

describe('jobFor: the Job of one run', () => {
  it('is a valid batch/v1 Job by the Kubernetes schema', () => {
    for (const settings of [CPU_SETTINGS, GPU_SETTINGS]) {
      expect(() => validateJob(jobFor({ id: 'run-2026-01-02-abcd1234' }, settings))).not.toThrow();
    }
  });

  it('never restarts in place, retries a bounded number of times, and keeps one pod at a time', () => {
    const job = jobFor({ id: 'run-a' }, CPU_SETTINGS);
    expect(podOf(job).restartPolicy).toBe('Never');
    expect(job.spec?.backoffLimit).toBe(3);
    expect(job.spec?.completions).toBe(1);
    expect(job.spec?.parallelism).toBe(1);
    expect(job.spec?.podReplacementPolicy).toBe('Failed');
    expect(job.spec?.ttlSecondsAfterFinished).toBe(86_400);
  });

  it('ignores disruptions and fails at once on the invalid-input / diverged exit code', () => {
    const rules = jobFor({ id: 'run-a' }, CPU_SETTINGS).spec?.podFailurePolicy?.rules ?? [];
    expect(rules).toEqual([
      { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
      {
        action: 'FailJob',
        onExitCodes: { containerName: RUN_CONTAINER, operator: 'In', values: [RUN_JOB_EXIT.failed] },
      },
    ]);
    // The codes a retry relies on are not the fail-fast one.
    expect(RUN_JOB_EXIT.failed).not.toBe(RUN_JOB_EXIT.retry);
    expect(RUN_JOB_EXIT.failed).not.toBe(RUN_JOB_EXIT.succeeded);
  });

  it('runs the trainer bundle in run-one-job mode for this run, as a non-root user on a read-only root', () => {
    const pod = podOf(jobFor({ id: 'run-a' }, CPU_SETTINGS));
    const [container] = pod.containers;
    expect(pod.containers).toHaveLength(1);
    expect(container.name).toBe(RUN_CONTAINER);
    expect(container.image).toBe(CPU_SETTINGS.image);
    expect(container.command).toEqual(['node', '/app/dist/apps/trainer/main.js', '--run-job', 'run-a']);
    expect(pod.securityContext?.runAsNonRoot).toBe(true);
    expect(pod.securityContext?.runAsUser).toBeGreaterThan(0);
    expect(container.securityContext?.readOnlyRootFilesystem).toBe(true);
    expect(container.securityContext?.allowPrivilegeEscalation).toBe(false);
    expect(container.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    expect(pod.volumes).toContainEqual({ name: 'tmp', emptyDir: { sizeLimit: '2Gi' } });
    // The run pod needs no Kubernetes API access.
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBe('slca-run');
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(30);
  });

  it('passes peers and the object store as values and the store credentials only as Secret references', () => {
    const [container] = podOf(jobFor({ id: 'run-a' }, CPU_SETTINGS)).containers;
    const env = new Map((container.env ?? []).map((e) => [e.name, e]));
    expect(env.get('SLCA_S3_ENDPOINT')?.value).toBe('http://minio:9000');
    expect(env.get('SLCA_EVALUATOR_ADDRESS')?.value).toBe('evaluator:50054');
    for (const name of ['SLCA_S3_ACCESS_KEY', 'SLCA_S3_SECRET_KEY']) {
      expect(env.get(name)?.value).toBeUndefined();
      expect(env.get(name)?.valueFrom?.secretKeyRef).toEqual({ name: 'slca-s3-trainer', key: name });
    }
    expect(env.get('SLCA_JOB_UID')?.valueFrom?.fieldRef?.fieldPath).toBe(
      "metadata.labels['batch.kubernetes.io/controller-uid']",
    );
  });

  it("mounts the run pods' certificate (identity job) from its Secret, read-only, and names its files", () => {
    const pod = podOf(jobFor({ id: 'run-a' }, CPU_SETTINGS));
    const [container] = pod.containers;
    expect(pod.volumes).toContainEqual({
      name: 'tls',
      secret: { secretName: 'slca-tls-job', defaultMode: 0o440 },
    });
    expect(container.volumeMounts).toContainEqual({
      name: 'tls',
      mountPath: '/etc/slca/tls',
      readOnly: true,
    });
    const env = new Map((container.env ?? []).map((e) => [e.name, e.value]));
    expect(env.get('SLCA_TLS_CA')).toBe('/etc/slca/tls/ca.crt');
    expect(env.get('SLCA_TLS_CERT')).toBe('/etc/slca/tls/tls.crt');
    expect(env.get('SLCA_TLS_KEY')).toBe('/etc/slca/tls/tls.key');
  });

  it('CPU runs request no GPU and pin no node; GPU runs ask for nvidia.com/gpu, GPU nodes and their taint', () => {
    const cpu = podOf(jobFor({ id: 'run-a' }, CPU_SETTINGS));
    expect(cpu.containers[0].resources).toEqual({
      requests: { cpu: '2', memory: '4Gi' },
      limits: { cpu: '2', memory: '4Gi' },
    });
    expect(cpu.nodeSelector).toBeUndefined();
    expect(cpu.tolerations).toBeUndefined();

    const gpu = podOf(jobFor({ id: 'run-a' }, GPU_SETTINGS));
    expect(gpu.containers[0].resources?.limits?.['nvidia.com/gpu']).toBe('1');
    expect(gpu.containers[0].resources?.requests?.['nvidia.com/gpu']).toBe('1');
    expect(gpu.containers[0].image).toBe(GPU_SETTINGS.image);
    expect(gpu.nodeSelector).toEqual({ 'nvidia.com/gpu.present': 'true' });
    expect(gpu.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
  });

  it('names the Job after the run: stable, a DNS label, distinct for run ids that are not DNS labels', () => {
    expect(jobName('run-2026-01-02-abcd1234')).toBe('slca-run-2026-01-02-abcd1234');
    const odd = ['run.a', 'run_a', 'run-a-', 'x'.repeat(63), `${'x'.repeat(62)}y`];
    const names = odd.map(jobName);
    for (const name of names) {
      expect(name).toMatch(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
      expect(name.length).toBeLessThanOrEqual(63);
    }
    expect(new Set(names).size).toBe(odd.length);
    expect(jobName('run.a')).toBe(jobName('run.a'));
    const job = jobFor({ id: 'run.a' }, CPU_SETTINGS);
    expect(job.metadata?.annotations?.[RUN_ID_ANNOTATION]).toBe('run.a');
    expect(() => validateJob(jobFor({ id: 'x'.repeat(63) }, CPU_SETTINGS))).not.toThrow();
  });
});

describe('jobSettingsFrom: the executor configuration', () => {
  const namespaceFile = () => {
    const dir = mkdtempSync(join(tmpdir(), 'slca-ns-'));
    writeFileSync(join(dir, 'namespace'), 'slca-team\n');
    return join(dir, 'namespace');
  };

  it('reads the pod namespace, parses node selector and tolerations, and passes only the listed variables on', () => {
    const env = {
      SLCA_JOB_IMAGE: 'img:1',
      SLCA_JOB_GPUS: '1',
      SLCA_JOB_NODE_SELECTOR: '{"pool":"gpu"}',
      SLCA_JOB_TOLERATIONS: '[{"key":"nvidia.com/gpu","operator":"Exists","effect":"NoSchedule"}]',
      SLCA_S3_ENDPOINT: 'http://minio:9000',
      SLCA_S3_SECRET_KEY: 'not-passed-as-a-value',
      SLCA_DASHBOARD_PASSWORD: 'unrelated',
    };
    const settings = jobSettingsFrom(loadConfig(KUBERNETES_EXECUTOR_CONFIG, env), env, namespaceFile());
    expect(settings.namespace).toBe('slca-team');
    expect(settings.gpus).toBe(1);
    expect(settings.nodeSelector).toEqual({ pool: 'gpu' });
    expect(settings.tolerations).toHaveLength(1);
    expect(settings.env).toEqual({ SLCA_S3_ENDPOINT: 'http://minio:9000' });
    expect(settings.ttlSecondsAfterFinished).toBe(86_400);
  });

  it('names every problem at once: no image, malformed JSON, no namespace outside a pod', () => {
    const env = { SLCA_JOB_NODE_SELECTOR: '[1]', SLCA_JOB_TOLERATIONS: 'nope' };
    let error: unknown;
    try {
      jobSettingsFrom(loadConfig(KUBERNETES_EXECUTOR_CONFIG, env), env, '/nonexistent/namespace');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.variable).sort()).toEqual([
      'SLCA_JOB_IMAGE',
      'SLCA_JOB_NAMESPACE',
      'SLCA_JOB_NODE_SELECTOR',
      'SLCA_JOB_TOLERATIONS',
    ]);
  });
});
