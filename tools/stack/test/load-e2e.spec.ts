import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { MinioObjectStore, StoreConfig } from '@slca/artifacts';
import { RunStatus, type Run } from '@slca/contracts';
import { actingUserMetadata, splitterClient, trainerClient, type TrainerClient } from '@slca/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, REPO_ROOT, Stack, writeCifar100Release } from '../src';

/*
 * Load through the real stack: 20 runs submitted at once by 5 users (as the dashboard does, over its
 * certificate, naming each user), on a trainer with one slot. Every run finishes; the trainer starts them
 * fairly, taking turns between the users, not in arrival order; and no two runs share a key. The runs are
 * tiny (the Slow Learner, one epoch, on a few CIFAR-100 images per class and an 8-pixel ViT) so the whole
 * file stays near two minutes on two cores.
 */

const FIXTURES = join(REPO_ROOT, 'libs/engine/test/fixtures/torch');
/** The architecture of the torch fixtures (libs/engine/scripts/make-torch-fixtures.py). */
const TINY = { imageSize: 8, patchSize: 4, dim: 8, depth: 1, heads: 2, mlpDim: 16 };
const USERS = ['ada', 'bob', 'cy', 'dee', 'eve'];
const RUNS_PER_USER = 4;

const EXPERIMENT = JSON.stringify({
  extends: 'cifar100/in21k/sl',
  dataset: 'cifar-tiny',
  backbone: 'tiny',
  arch: TINY,
  initClasses: 50,
  increment: 50,
  stage1: { epochs: 1, batchSize: 64 },
  compute: { backend: 'wasm', shards: 1 },
});

let dir: string;
let stack: Stack;
let dashboard: TrainerClient;

const as = (user: string, role: 'viewer' | 'researcher' | 'admin' = 'researcher') => ({
  metadata: actingUserMetadata({ user, role }),
});

const start = (user: string, seed: number, role?: 'viewer') =>
  dashboard.startRun(
    {
      runId: '',
      benchmark: '',
      method: '',
      seed,
      epochs: 0,
      checkpointEvery: 0,
      tags: ['load'],
      configOverridesJson: '',
      experimentJson: EXPERIMENT,
      set: [],
      validateOnly: false,
    },
    { ...as(user, role), deadlineMs: 120_000 },
  );

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'slca-load-'));
  stack = await Stack.start({
    dataDir: join(dir, 'stack'),
    env: { SLCA_TRAINER_WORKERS: '1', SLCA_TRAINER_CONCURRENCY: '1' },
  });
  // The dataset and the backbone are read from paths on the splitter's host: the operator's certificate.
  const splitter = splitterClient({
    address: stack.address('splitter'),
    deadlineMs: 120_000,
    credentials: stack.credentials('operator'),
  });
  try {
    await splitter.importBenchmarkDataset({
      name: 'cifar-tiny',
      format: 'cifar100',
      path: writeCifar100Release(dir),
    });
    await splitter.registerBackbone({
      name: 'tiny',
      arch: JSON.stringify(TINY),
      path: join(FIXTURES, 'vit-tiny.safetensors'),
    });
  } finally {
    splitter.close();
  }
  dashboard = trainerClient({
    address: stack.address('trainer'),
    deadlineMs: 60_000,
    credentials: stack.credentials('dashboard'),
  });
}, 300_000);

afterAll(async () => {
  dashboard?.close();
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('20 runs from 5 users at once', () => {
  let runs: Run[] = [];

  it('refuses a viewer’s StartRun before anything is stored', async () => {
    const refused = await failure(start('vic', 1, 'viewer'));
    expect(refused.code).toBe(status.PERMISSION_DENIED);
    expect(refused.details).toBe('vic is a viewer and may not start runs');
  });

  it('accepts all 20 at once, each owned by its user under its own id', async () => {
    // All twenty calls at once, each user's four back to back: first in first out would run ada's four
    // first, then bob's.
    const perUser = await Promise.all(
      USERS.map((user, u) =>
        Promise.all(
          Array.from({ length: RUNS_PER_USER }, async (_, i) => {
            const { run } = await start(user, 100 * u + i);
            if (!run) throw new Error(`no run for ${user}`);
            return run;
          }),
        ),
      ),
    );
    runs = perUser.flat();
    expect(runs).toHaveLength(20);
    expect(new Set(runs.map((r) => r.id)).size).toBe(20);
    for (const [u, user] of USERS.entries())
      for (const run of perUser[u])
        expect([run.ownedBy, run.auditLog[0]?.who, run.auditLog[0]?.action]).toEqual([user, user, 'start']);
  }, 300_000);

  it('lets nobody but the owner (or an admin) cancel a waiting run', async () => {
    const last = runs.at(-1) as Run;
    const other = USERS.find((u) => u !== last.ownedBy) as string;
    const refused = await failure(dashboard.cancelRun({ id: last.id }, as(other)));
    expect(refused.code).toBe(status.PERMISSION_DENIED);
    expect(refused.details).toBe(
      `${other} may not cancel run ${last.id}: it is ${last.ownedBy}'s run (only its owner or an admin may)`,
    );
  });

  it('finishes every run', async () => {
    const deadline = Date.now() + 600_000;
    let ended: Run[] = [];
    while (Date.now() < deadline) {
      ended = await Promise.all(runs.map(async (r) => (await dashboard.getRun({ id: r.id })).run as Run));
      if (
        ended.every(
          (r) => r.status === RunStatus.RUN_STATUS_SUCCEEDED || r.status === RunStatus.RUN_STATUS_FAILED,
        )
      )
        break;
      await new Promise((done) => setTimeout(done, 1000));
    }
    expect(ended.map((r) => [r.id, r.status, r.error])).toEqual(
      runs.map((r) => [r.id, RunStatus.RUN_STATUS_SUCCEEDED, '']),
    );
    runs = ended;
  }, 660_000);

  it('started them fairly: after any number of starts, no user has had two more than another', () => {
    // One slot: the runs ran one after another, in the order of their start times.
    const order = [...runs].sort((a, b) => a.startedAtMs - b.startedAtMs).map((r) => r.ownedBy);
    expect(new Set(runs.map((r) => r.startedAtMs)).size).toBe(20);
    const counts = new Map(USERS.map((u) => [u, 0]));
    for (const [k, owner] of order.entries()) {
      counts.set(owner, (counts.get(owner) ?? 0) + 1);
      const spread = Math.max(...counts.values()) - Math.min(...counts.values());
      expect(spread, `after ${k + 1} starts: ${order.slice(0, k + 1).join(' ')}`).toBeLessThanOrEqual(1);
    }
    // One run of each user before anyone's second.
    expect(order.slice(0, 5).sort()).toEqual([...USERS].sort());
  });

  it('gave no two runs a shared key: every object of a run lies under its own prefix, and each is one run’s', async () => {
    const store = new MinioObjectStore(
      StoreConfig.from({
        endpoint: stack.s3.endpoint,
        accessKey: stack.s3.accessKey,
        secretKey: stack.s3.secretKey,
      }),
    );
    const owners = new Map<string, string>();
    for (const run of runs) {
      const { artifacts } = await dashboard.getRunArtifacts({ id: run.id });
      const keys = (artifacts?.objects ?? []).map((o) => o.key);
      // A finished run has at least its record, configuration, checkpoints, models and metrics.
      expect(keys).toContain(`runs/${run.id}/run.json`);
      expect(keys.some((k) => k.startsWith(`runs/${run.id}/checkpoints/`))).toBe(true);
      for (const key of keys) {
        expect(key.startsWith(`runs/${run.id}/`), key).toBe(true);
        expect(owners.get(key), key).toBeUndefined();
        owners.set(key, run.id);
      }
      expect(run.latestCheckpoint.startsWith(`runs/${run.id}/checkpoints/`)).toBe(true);
    }
    // Nothing under runs/ belongs to no run, or to a run that is not one of the twenty.
    const ids = new Set(runs.map((r) => r.id));
    for (const key of await store.list('runs/')) expect(ids.has(key.split('/')[1]), key).toBe(true);
  }, 120_000);
});
