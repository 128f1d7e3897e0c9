import {
  accuracyRowsPrefix,
  BACKBONE_UPLOADS_PREFIX,
  BACKBONES_PREFIX,
  checkpointsPrefix,
  DATASETS_PREFIX,
  logsPrefix,
  modelPrefix,
  predictionsPrefix,
  runConfigKey,
  runRecordKey,
  samplesKey,
  SPLITS_PREFIX,
  statsPrefix,
  trainHistoryPrefix,
  uploadKey,
} from '@slca/artifacts';
import { SERVICE_DEFINITIONS } from '@slca/contracts/grpc';
import { AUTHORISATION, IDENTITIES, methodPath, type Identity } from '@slca/service-kit';
import { describe, expect, it } from 'vitest';
import { byKind, find, OVERLAYS, podTemplates, render, validate, type K8sObject } from './render';

const SERVICES = { splitter: 50051, trainer: 50052, 'stats-store': 50053, evaluator: 50054 } as const;
/** Env names whose values are credentials: only ever Secret references (SLCA_JOB_S3_SECRET names a Secret). */
const SECRET_ENV = /(SECRET_KEY|PASSWORD|ACCESS_KEY|TOKEN|SESSION_SECRET|_USER)$/;

type Service = keyof typeof SERVICES;
/** The pod (its app.kubernetes.io/name) each identity runs as in the cluster; the CLI runs outside it. */
const IDENTITY_PODS: Record<Identity, string | undefined> = {
  splitter: 'splitter',
  trainer: 'trainer',
  'stats-store': 'stats-store',
  evaluator: 'evaluator',
  dashboard: 'dashboard',
  job: 'slca-run',
  operator: 'slca-operator',
  cli: undefined,
};
const DEFINITION_OF: Record<Service, (typeof SERVICE_DEFINITIONS)[keyof typeof SERVICE_DEFINITIONS]> = {
  splitter: SERVICE_DEFINITIONS.splitter,
  trainer: SERVICE_DEFINITIONS.trainer,
  'stats-store': SERVICE_DEFINITIONS.statistics,
  evaluator: SERVICE_DEFINITIONS.evaluator,
};
/** The pods the authorisation table lets call at least one method of `service`. */
function callerPods(service: Service): string[] {
  const definition = DEFINITION_OF[service];
  const callers = new Set<Identity>(
    Object.keys(definition.methods).flatMap((key) => [
      ...(AUTHORISATION.get(methodPath(definition, key))?.callers ?? []),
    ]),
  );
  return IDENTITIES.filter((i) => callers.has(i))
    .map((i) => IDENTITY_PODS[i])
    .filter((pod): pod is string => pod !== undefined)
    .sort();
}

const rendered = Object.fromEntries(OVERLAYS.map((o) => [o, render(o)])) as Record<
  (typeof OVERLAYS)[number],
  K8sObject[]
>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- rendered YAML
type Container = Record<string, any>;
const containers = (objects: K8sObject[]) =>
  podTemplates(objects).flatMap(({ owner, spec }) =>
    [...(spec.initContainers ?? []), ...spec.containers].map((c: Container) => ({ owner, spec, c })),
  );
const envOf = (c: Container, name: string) =>
  (c.env ?? []).find((e: { name: string }) => e.name === name) as Container | undefined;

describe.each(OVERLAYS)('overlay %s', (overlay) => {
  const objects = rendered[overlay];

  it('renders, and every object is valid by the Kubernetes schema of its kind', () => {
    expect(objects.length).toBeGreaterThan(20);
    for (const o of objects) expect(() => validate(o), `${o.kind}/${o.metadata.name}`).not.toThrow();
  });

  it('puts every namespaced object in the slca namespace, which enforces the restricted pod standard', () => {
    const ns = find(objects, 'Namespace', 'slca');
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    for (const o of objects.filter((x) => x.kind !== 'Namespace'))
      expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('slca');
  });

  it('runs the four services as Deployments + Services with gRPC probes on the plain-text health port', () => {
    for (const [name, port] of Object.entries(SERVICES)) {
      const deployment = find(objects, 'Deployment', name);
      const [c] = deployment.spec.template.spec.containers;
      // The kubelet's gRPC probe speaks no TLS: it asks the health port, never the service port.
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'])
        expect(c[probe]?.grpc, `${name} ${probe}`).toEqual({ port: port + 100, service: '' });
      expect(c.ports).toContainEqual({ name: 'grpc', containerPort: port });
      expect(c.ports).toContainEqual({ name: 'health', containerPort: port + 100 });
      expect(envOf(c, 'SLCA_HEALTH_PORT')?.value).toBe(String(port + 100));
      expect(envOf(c, 'SLCA_BIND_HOST')?.value).toBe('0.0.0.0');
      const service = find(objects, 'Service', name);
      expect(service.spec.ports).toEqual([{ name: 'grpc', port, targetPort: 'grpc', appProtocol: 'grpc' }]);
      expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
    }
  });

  it('gives every container resource requests and limits, limits no lower than requests', () => {
    const parse = (q: string) => {
      const m = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi)?$/.exec(String(q));
      if (!m) throw new Error(`quantity ${q}`);
      const unit = { m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 }[m[2] ?? ''] ?? 1;
      return Number(m[1]) * unit;
    };
    for (const { owner, c } of containers(objects)) {
      for (const r of ['cpu', 'memory']) {
        expect(c.resources?.requests?.[r], `${owner} request ${r}`).toBeDefined();
        expect(c.resources?.limits?.[r], `${owner} limit ${r}`).toBeDefined();
        expect(parse(c.resources.limits[r])).toBeGreaterThanOrEqual(parse(c.resources.requests[r]));
      }
    }
  });

  it('runs every pod as non-root, read-only root, no privilege escalation, all capabilities dropped, /tmp writable', () => {
    for (const { owner, spec, c } of containers(objects)) {
      expect(spec.securityContext?.runAsNonRoot, owner).toBe(true);
      expect(spec.securityContext?.runAsUser, owner).toBeGreaterThan(0);
      expect(spec.securityContext?.seccompProfile?.type, owner).toBe('RuntimeDefault');
      expect(c.securityContext?.allowPrivilegeEscalation, owner).toBe(false);
      expect(c.securityContext?.readOnlyRootFilesystem, owner).toBe(true);
      expect(c.securityContext?.capabilities?.drop, owner).toEqual(['ALL']);
      const tmp = (c.volumeMounts ?? []).find((m: Container) => m.mountPath === '/tmp');
      expect(tmp, `${owner} /tmp`).toBeDefined();
      const volume = spec.volumes.find((v: Container) => v.name === tmp.name);
      expect(volume?.emptyDir, `${owner} /tmp is an emptyDir`).toBeDefined();
    }
  });

  it('lets the services drain (and the trainer checkpoint) within terminationGracePeriodSeconds', () => {
    // service-kit drains for up to 10 s; the trainer first checkpoints its runs for up to 15 s.
    for (const name of ['splitter', 'stats-store', 'evaluator'])
      expect(
        find(objects, 'Deployment', name).spec.template.spec.terminationGracePeriodSeconds,
      ).toBeGreaterThan(10);
    const trainer = find(objects, 'Deployment', 'trainer');
    expect(trainer.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(15 + 10);
    // Two trainers would both write the run records: a rollout replaces the old one first.
    expect(trainer.spec.replicas).toBe(1);
    expect(trainer.spec.strategy).toEqual({ type: 'Recreate' });
  });

  it('passes credentials only as Secret references, and creates no Secret itself', () => {
    expect(byKind(objects, 'Secret')).toEqual([]);
    for (const { owner, c } of containers(objects)) {
      for (const e of c.env ?? []) {
        if (!SECRET_ENV.test(e.name)) continue;
        expect(e.value, `${owner} ${e.name} is a literal`).toBeUndefined();
        expect(e.valueFrom?.secretKeyRef?.name, `${owner} ${e.name}`).toMatch(/^slca-/);
      }
      expect(c.envFrom, `${owner} envFrom`).toBeUndefined();
    }
    const dashboard = find(objects, 'Deployment', 'dashboard').spec.template.spec.containers[0];
    for (const name of ['SLCA_DASHBOARD_USER', 'SLCA_DASHBOARD_PASSWORD', 'SLCA_DASHBOARD_SESSION_SECRET'])
      expect(envOf(dashboard, name)?.valueFrom?.secretKeyRef).toEqual({ name: 'slca-dashboard', key: name });
    for (const [name, value] of [
      ['SLCA_TRAINER_ADDRESS', 'trainer:50052'],
      ['SLCA_EVALUATOR_ADDRESS', 'evaluator:50054'],
      ['SLCA_SPLITTER_ADDRESS', 'splitter:50051'],
    ])
      expect(envOf(dashboard, name)?.value).toBe(value);
  });

  it("mounts each identity's certificate from its own Secret, read-only, where SLCA_TLS_* point", () => {
    const identities: [string, string][] = [
      ...Object.keys(SERVICES).map((name): [string, string] => [name, name]),
      ['dashboard', 'dashboard'],
    ];
    for (const [deployment, identity] of identities) {
      const pod = find(objects, 'Deployment', deployment).spec.template.spec;
      const [c] = pod.containers;
      const volume = pod.volumes.find((v: Container) => v.secret?.secretName === `slca-tls-${identity}`);
      expect(volume, deployment).toBeDefined();
      expect(volume.secret.defaultMode & 0o007, `${deployment}: not world-readable`).toBe(0);
      const mount = c.volumeMounts.find((m: Container) => m.name === volume.name);
      expect(mount).toEqual({ name: volume.name, mountPath: '/etc/slca/tls', readOnly: true });
      expect(envOf(c, 'SLCA_TLS_CA')?.value).toBe('/etc/slca/tls/ca.crt');
      expect(envOf(c, 'SLCA_TLS_CERT')?.value).toBe('/etc/slca/tls/tls.crt');
      expect(envOf(c, 'SLCA_TLS_KEY')?.value).toBe('/etc/slca/tls/tls.key');
    }
    const trainer = find(objects, 'Deployment', 'trainer').spec.template.spec.containers[0];
    expect(envOf(trainer, 'SLCA_JOB_TLS_SECRET')?.value).toBe('slca-tls-job');
  });

  it('gives each service its own object-store keys', () => {
    const keySecret = (deployment: string) =>
      envOf(find(objects, 'Deployment', deployment).spec.template.spec.containers[0], 'SLCA_S3_SECRET_KEY')
        ?.valueFrom.secretKeyRef.name;
    const secrets = [...Object.keys(SERVICES), 'dashboard'].map(keySecret);
    expect(new Set(secrets).size).toBe(secrets.length);
    const trainer = find(objects, 'Deployment', 'trainer').spec.template.spec.containers[0];
    expect(envOf(trainer, 'SLCA_JOB_S3_SECRET')?.value).toBe(keySecret('trainer'));
  });

  it('runs MinIO as a StatefulSet on a PersistentVolumeClaim with a pinned image, and a bucket Job using mc', () => {
    const minio = find(objects, 'StatefulSet', 'minio');
    expect(minio.spec.template.spec.containers[0].image).toMatch(/^minio\/minio:RELEASE\.\d{4}-/);
    expect(minio.spec.volumeClaimTemplates[0].spec.accessModes).toEqual(['ReadWriteOnce']);
    expect(minio.spec.template.spec.containers[0].volumeMounts).toContainEqual({
      name: 'data',
      mountPath: '/data',
    });
    const setup = find(objects, 'Job', 'minio-setup');
    expect(setup.spec.template.spec.containers[0].image).toMatch(/^minio\/mc:RELEASE\.\d{4}-/);
    const script = byKind(objects, 'ConfigMap').find((c) => c.metadata.name.startsWith('minio-setup'))?.data[
      'minio-setup.sh'
    ] as string;
    expect(script).toContain('mc anonymous set none');
    expect(script).toContain('mc admin user add');
    expect(
      setup.spec.template.spec.volumes.find((v: Container) => v.name === 'setup').configMap.name,
    ).toMatch(/^minio-setup-/);
  });

  it('denies ingress by default, admits each service only from the identities the table allows, and lets only the ingress controller reach the dashboard', () => {
    const policies = byKind(objects, 'NetworkPolicy');
    const deny = find(objects, 'NetworkPolicy', 'default-deny-ingress');
    expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress'] });
    // No policy admits every pod of the namespace any more.
    for (const p of policies)
      for (const rule of p.spec.ingress ?? [])
        for (const from of rule.from ?? []) expect(from, p.metadata.name).not.toEqual({ podSelector: {} });
    for (const [service, port] of Object.entries(SERVICES)) {
      const policy = find(objects, 'NetworkPolicy', `${service}-callers`);
      expect(policy.spec.podSelector).toEqual({ matchLabels: { 'app.kubernetes.io/name': service } });
      expect(policy.spec.ingress).toHaveLength(1);
      const [rule] = policy.spec.ingress;
      expect(rule.ports).toEqual([{ protocol: 'TCP', port }]);
      expect(rule.from).toEqual([
        {
          podSelector: {
            matchExpressions: [
              { key: 'app.kubernetes.io/name', operator: 'In', values: callerPods(service as Service) },
            ],
          },
        },
      ]);
    }
    const minio = find(objects, 'NetworkPolicy', 'minio-clients');
    const keyHolders = podTemplates(objects)
      .filter(({ spec }) =>
        spec.containers.some((c: Container) => envOf(c, 'SLCA_S3_ACCESS_KEY') || envOf(c, 'MINIO_ROOT_USER')),
      )
      .map(({ owner }) => find(objects, ...(owner.split('/') as [string, string])))
      .map((o) => o.spec.template.metadata.labels['app.kubernetes.io/name'] as string)
      .filter((name) => name !== 'minio');
    expect(minio.spec.ingress[0].from[0].podSelector.matchExpressions[0].values).toEqual(
      [...new Set([...keyHolders, 'slca-run'])].sort(),
    );
    expect(minio.spec.ingress[0].ports).toEqual([{ protocol: 'TCP', port: 9000 }]);
    const dashboard = find(objects, 'NetworkPolicy', 'dashboard-from-ingress-controller');
    expect(dashboard.spec.podSelector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'dashboard' } });
    expect(dashboard.spec.ingress).toHaveLength(1);
    expect(dashboard.spec.ingress[0].from[0].namespaceSelector).toBeDefined();
    expect(dashboard.spec.ingress[0].ports).toEqual([{ protocol: 'TCP', port: 3000 }]);
    // No policy admits anything outside the namespace except that one rule; none allows ipBlock sources.
    for (const p of policies)
      for (const rule of p.spec.ingress ?? [])
        for (const from of rule.from ?? []) {
          expect(from.ipBlock, p.metadata.name).toBeUndefined();
          if (from.namespaceSelector) expect(p.metadata.name).toBe('dashboard-from-ingress-controller');
        }
    // The only way in from outside is the dashboard's Ingress; every Service is cluster-internal.
    for (const s of byKind(objects, 'Service')) expect(s.spec.type ?? 'ClusterIP').toBe('ClusterIP');
    const ingresses = byKind(objects, 'Ingress');
    expect(ingresses).toHaveLength(1);
    const backends = ingresses[0].spec.rules.flatMap((r: Container) =>
      r.http.paths.map((p: Container) => p.backend),
    );
    expect(backends).toEqual([{ service: { name: 'dashboard', port: { name: 'http' } } }]);
  });

  it('grants the trainer (alone) Jobs, Pods and Pod logs in its namespace: no cluster-wide rights', () => {
    expect(byKind(objects, 'ClusterRole')).toEqual([]);
    expect(byKind(objects, 'ClusterRoleBinding')).toEqual([]);
    const roles = byKind(objects, 'Role');
    expect(roles.map((r) => r.metadata.name)).toEqual(['slca-trainer-run-jobs']);
    expect(roles[0].rules).toEqual([
      { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'get', 'list', 'watch', 'delete'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
    ]);
    for (const rule of roles[0].rules) {
      expect(rule.resources).not.toContain('*');
      expect(rule.verbs).not.toContain('*');
      expect(rule.resourceNames).toBeUndefined();
    }
    const bindings = byKind(objects, 'RoleBinding');
    expect(bindings).toHaveLength(1);
    expect(bindings[0].roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: 'slca-trainer-run-jobs',
    });
    expect(bindings[0].subjects).toEqual([
      { kind: 'ServiceAccount', name: 'slca-trainer', namespace: 'slca' },
    ]);
    // Only the trainer's pods carry an API token; run pods' account has none.
    for (const { owner, spec } of podTemplates(objects)) {
      if (owner === 'Deployment/trainer') expect(spec.serviceAccountName).toBe('slca-trainer');
      else expect(spec.automountServiceAccountToken, owner).toBe(false);
    }
    expect(find(objects, 'ServiceAccount', 'slca-run').automountServiceAccountToken).toBe(false);
  });

  it('runs each run as a Kubernetes Job of exactly the trainer’s image', () => {
    const [c] = find(objects, 'Deployment', 'trainer').spec.template.spec.containers;
    expect(envOf(c, 'SLCA_EXECUTOR')?.value).toBe('kubernetes');
    expect(envOf(c, 'SLCA_JOB_IMAGE')?.value).toBe(c.image);
    expect(envOf(c, 'SLCA_JOB_SERVICE_ACCOUNT')?.value).toBe('slca-run');
  });
});

describe('the object store policies', () => {
  const objects = rendered.local;
  const setup = byKind(objects, 'ConfigMap').find((c) => c.metadata.name.startsWith('minio-setup'));
  const policy = (service: string) =>
    JSON.parse(setup?.data[`policy-${service}.json`] as string) as {
      Statement: { Effect: string; Action: string[]; Resource: string[] }[];
    };
  const R = 'run-id';
  /** A run's key or prefix from the layout, for every run: `runs/*\/…`. */
  const anyRun = (key: string) => key.replace(`runs/${R}/`, 'runs/*/');
  const dir = (key: string) => key.slice(0, key.lastIndexOf('/') + 1);
  const SHA = '0'.repeat(64);
  /** What each service writes, from the layout module (libs/artifacts): the one definition of the keys. */
  const WRITES: Record<string, { put: string[]; remove: string[] }> = {
    splitter: {
      put: [DATASETS_PREFIX, SPLITS_PREFIX, BACKBONES_PREFIX],
      remove: [DATASETS_PREFIX, SPLITS_PREFIX, BACKBONES_PREFIX, BACKBONE_UPLOADS_PREFIX],
    },
    'stats-store': {
      put: [statsPrefix(R), dir(samplesKey(R, SHA))].map(anyRun),
      remove: [statsPrefix(R), dir(samplesKey(R, SHA)), dir(uploadKey(R, SHA))].map(anyRun),
    },
    evaluator: {
      put: [accuracyRowsPrefix(R), predictionsPrefix(R)].map(anyRun),
      remove: [accuracyRowsPrefix(R), predictionsPrefix(R)].map(anyRun),
    },
    trainer: {
      put: [
        runConfigKey(R),
        runRecordKey(R),
        checkpointsPrefix(R),
        dir(dir(modelPrefix(R, 0)).slice(0, -1)),
        trainHistoryPrefix(R),
        logsPrefix(R),
        dir(uploadKey(R, SHA)),
      ].map(anyRun),
      remove: [
        checkpointsPrefix(R),
        dir(dir(modelPrefix(R, 0)).slice(0, -1)),
        trainHistoryPrefix(R),
        logsPrefix(R),
        dir(uploadKey(R, SHA)),
      ].map(anyRun),
    },
    dashboard: { put: [BACKBONE_UPLOADS_PREFIX], remove: [BACKBONE_UPLOADS_PREFIX] },
  };
  const resources = (p: ReturnType<typeof policy>, action: string) =>
    p.Statement.filter((s) => s.Action.includes(action))
      .flatMap((s) => s.Resource)
      .map((r) => r.replace(/^arn:aws:s3:::BUCKET\//, '').replace(/\*$/, ''))
      .sort();

  it.each(Object.keys(WRITES))(
    '%s: reads the bucket, writes and deletes only its own prefixes of the layout',
    (service) => {
      const p = policy(service);
      expect(p.Statement.every((s) => s.Effect === 'Allow')).toBe(true);
      expect(p.Statement.flatMap((s) => s.Action).some((a) => a.includes('*') || a.startsWith('s3:*'))).toBe(
        false,
      );
      expect(resources(p, 's3:GetObject')).toEqual(['']);
      expect(resources(p, 's3:PutObject')).toEqual([...WRITES[service].put].sort());
      expect(resources(p, 's3:DeleteObject')).toEqual([...WRITES[service].remove].sort());
      // Nothing outside the bucket, and no bucket-level write (no policy or ACL changes).
      for (const s of p.Statement)
        for (const r of s.Resource) expect(r).toMatch(/^arn:aws:s3:::BUCKET(\/|$)/);
      expect(
        p.Statement.flatMap((s) => s.Action).filter((a) => /Policy|Acl|CreateBucket|DeleteBucket/.test(a)),
      ).toEqual([]);
    },
  );

  it('gives no two services a write prefix in common, so each kind of object has one writer', () => {
    const owners = new Map<string, string>();
    for (const [service, { put }] of Object.entries(WRITES))
      for (const prefix of put) {
        expect(owners.get(prefix), `${prefix}: ${service} and ${owners.get(prefix)}`).toBeUndefined();
        owners.set(prefix, service);
      }
    // Statistics are written by the statistics store and metrics by the evaluator, the services that the
    // table opens to the runners' PutClassStatistics and EvaluateCheckpoint; the trainer writes neither.
    expect(WRITES.trainer.put.some((p) => p.includes('/stats/') || p.includes('/metrics/'))).toBe(false);
  });

  it('is attached per service by the setup script', () => {
    const script = setup?.data['minio-setup.sh'] as string;
    expect(script).toContain('policy="slca-$service"');
    expect(script).toContain('/setup/policy-$service.json');
    expect(script).not.toMatch(/policy-read(write|only)\.json/);
  });
});

describe('the gpu overlay against local', () => {
  const trainer = (overlay: (typeof OVERLAYS)[number]) =>
    find(rendered[overlay], 'Deployment', 'trainer').spec.template.spec.containers[0] as Container;

  it('uses the GPU trainer image for the trainer and its run Jobs', () => {
    expect(trainer('local').image).toBe('slca/trainer:dev');
    expect(trainer('gpu').image).toBe('slca/trainer-gpu:dev');
    expect(envOf(trainer('gpu'), 'SLCA_JOB_IMAGE')?.value).toBe('slca/trainer-gpu:dev');
  });

  it('asks for one GPU per run Job on GPU nodes, tolerating their taint; local asks for none', () => {
    const gpu = trainer('gpu');
    expect(envOf(gpu, 'SLCA_JOB_GPUS')?.value).toBe('1');
    expect(JSON.parse(envOf(gpu, 'SLCA_JOB_NODE_SELECTOR')?.value)).toEqual({
      'nvidia.com/gpu.present': 'true',
    });
    expect(JSON.parse(envOf(gpu, 'SLCA_JOB_TOLERATIONS')?.value)).toEqual([
      { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
    ]);
    for (const name of ['SLCA_JOB_GPUS', 'SLCA_JOB_NODE_SELECTOR', 'SLCA_JOB_TOLERATIONS'])
      expect(envOf(trainer('local'), name)).toBeUndefined();
  });

  it('differs from local only in the trainer, the Ingress host and the MinIO volume size', () => {
    const key = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;
    const local = new Map(rendered.local.map((o) => [key(o), JSON.stringify(o)]));
    const changed = rendered.gpu.filter((o) => local.get(key(o)) !== JSON.stringify(o)).map(key);
    expect(changed.sort()).toEqual(['Deployment/trainer', 'Ingress/dashboard', 'StatefulSet/minio']);
    expect(rendered.gpu.map(key).sort()).toEqual(rendered.local.map(key).sort());
  });
});
