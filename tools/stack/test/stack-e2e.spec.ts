import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { getRunRecord, MinioObjectStore, StoreConfig, type ObjectStore } from '@slca/artifacts';
import { RunStatus, type RunEvent } from '@slca/contracts';
import { loadSplitEmojiManifest } from '@slca/data';
import {
  embeddedConfig,
  loadEmbeddedBackbone,
  loadManifestData,
  runExperiment,
  configOf,
  type ExperimentResult,
} from '@slca/engine';
import { checkHealth, evaluatorClient, trainerClient } from '@slca/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../src/service-process';
import { Stack } from '../src/stack';

/*
 * The platform end to end, as real processes: s3rver and the four services over real sockets. A short
 * version of the embedded default (2 tasks of 15 classes, 1 epoch) keeps each run near 20 s here.
 */
const OVERRIDES = '{"initClasses":15,"increment":15}';
const request = (runId: string) => ({
  runId,
  benchmark: 'embedded',
  method: 'slca',
  seed: 1993,
  epochs: 1,
  checkpointEvery: 0,
  tags: ['e2e'],
  configOverridesJson: OVERRIDES,
  experimentJson: '',
  set: [],
  validateOnly: false,
});

let dir: string;
let stack: Stack;
let store: ObjectStore;
const logs: string[] = [];

const trainer = () =>
  trainerClient({
    address: stack.address('trainer'),
    deadlineMs: 60_000,
    credentials: stack.credentials('cli'),
  });

/** Follows a run until `until` says stop (or it ends); returns every event seen. */
async function watch(id: string, until: (e: RunEvent) => boolean = () => false): Promise<RunEvent[]> {
  const client = trainer();
  const seen: RunEvent[] = [];
  try {
    for await (const { event } of client.watchRun({ id })) {
      if (!event) continue;
      seen.push(event);
      if (until(event)) break;
    }
  } finally {
    client.close();
  }
  return seen;
}

async function matrixOf(runId: string) {
  const evaluator = evaluatorClient({
    address: stack.address('evaluator'),
    credentials: stack.credentials('cli'),
  });
  try {
    const { metrics } = await evaluator.getRunMetrics({ runId });
    return metrics;
  } finally {
    evaluator.close();
  }
}

let inProcess: ExperimentResult;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'slca-stack-'));
  stack = await Stack.start({
    dataDir: dir,
    env: { SLCA_CHECKPOINT_EVERY: '4', SLCA_TRAINER_WORKERS: '2' },
    onLog: (name, line) => {
      logs.push(`${name}: ${line}`);
      // SLCA_E2E_LOG=file keeps every service's log for a post-mortem.
      if (process.env.SLCA_E2E_LOG) appendFileSync(process.env.SLCA_E2E_LOG, `${name}: ${line}\n`);
    },
  });
  store = new MinioObjectStore(
    StoreConfig.from({
      endpoint: stack.s3.endpoint,
      accessKey: stack.s3.accessKey,
      secretKey: stack.s3.secretKey,
    }),
  );
}, 120_000);

// Stopping asks each of the six processes to exit cleanly (the trainer checkpoints first); on a loaded
// machine that can take longer than the default 10 s hook timeout.
afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('the local stack', () => {
  it('serves grpc.health.v1 SERVING on every service', async () => {
    for (const name of ['splitter', 'stats-store', 'evaluator', 'trainer'] as const)
      expect(await checkHealth(stack.address(name), '', 2_000, stack.credentials('cli'))).toBe('SERVING');
  });

  it('a run through the services gives the same accuracy matrix as the same run in-process, bit for bit', async () => {
    const client = trainer();
    const { run } = await client.startRun(request('e2e-a'));
    client.close();
    expect(run?.status).toBe(RunStatus.RUN_STATUS_QUEUED);
    const events = await watch('e2e-a');
    const final = events.filter((e) => e.state).at(-1)?.state;
    expect(final?.status).toBe(RunStatus.RUN_STATUS_SUCCEEDED);
    expect(events.some((e) => e.train && e.train.etaSeconds >= 0)).toBe(true);
    expect(events.filter((e) => e.evaluated).map((e) => e.evaluated?.task)).toEqual([0, 1]);

    const config = embeddedConfig('slca', 1993, { workers: 2 });
    Object.assign(config, JSON.parse(OVERRIDES));
    config.stage1.epochs = 1;
    config.stage1.milestones = [];
    const data = await loadManifestData(loadSplitEmojiManifest({ verifyDigests: true }), 32);
    inProcess = await runExperiment(config, data, (await loadEmbeddedBackbone()).values);

    const metrics = await matrixOf('e2e-a');
    expect(metrics?.complete).toBe(true);
    expect(metrics?.accuracies).toEqual(inProcess.accuracies);
    expect(metrics?.accuracyMatrix.map((r) => r.values)).toEqual(
      inProcess.accuracyMatrix.map((r) => r.filter((v) => v !== null)),
    );
    expect(final?.lastAcc).toBe(inProcess.lastAcc);
    // The record keeps the complete experiment; its engine part is the in-process configuration.
    const experiment = JSON.parse(final?.configJson ?? '{}');
    expect(configOf(experiment)).toEqual(config);
    expect(experiment).toMatchObject({
      benchmark: 'embedded',
      dataset: 'split-emoji',
      backbone: 'vit-emoji',
    });
    expect(final?.lineage).toMatchObject({
      dataset: 'split-emoji',
      backbone: 'vit-emoji',
      configurationId: 'embedded/vit-emoji/slca@v1',
      configurationVersion: 1,
    });
    expect(final?.lineage?.datasetDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(final?.lineage?.codeVersion).toMatch(/^([0-9a-f]{40}|unknown)$/);
  }, 240_000);

  it('`slca run --remote` submits to the stack and writes the same numbers as the in-process run', () => {
    const out = join(dir, 'remote.json');
    const cli = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(REPO_ROOT, 'apps/cli/src/main.ts'),
        ...[
          'run',
          '--remote',
          '--trainer',
          stack.address('trainer'),
          '--evaluator',
          stack.address('evaluator'),
          '--splitter',
          stack.address('splitter'),
        ],
        ...[
          '--run-id',
          'e2e-cli',
          '--method',
          'slca',
          '--seed',
          '1993',
          '--epochs',
          '1',
          '--config',
          OVERRIDES,
        ],
        ...['--out', out],
      ],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        timeout: 200_000,
        // The CLI finds the stack's certificates in its state folder.
        env: {
          ...process.env,
          SLCA_STACK_DIR: stack.options.dataDir,
          TSX_TSCONFIG_PATH: join(REPO_ROOT, 'tsconfig.base.json'),
        },
      },
    );
    expect(cli.stderr + cli.stdout).toContain('run e2e-cli on the trainer at');
    expect(cli.status).toBe(0);
    const result = JSON.parse(readFileSync(out, 'utf8')) as {
      accuracies: number[];
      accuracyMatrix: unknown;
      lastAcc: number;
      backend: { name: string };
    };
    expect(result.accuracies).toEqual(inProcess.accuracies);
    expect(result.accuracyMatrix).toEqual(inProcess.accuracyMatrix);
    expect(result.lastAcc).toBe(inProcess.lastAcc);
    expect(result.backend.name).toBe(inProcess.backend.name);
  }, 240_000);

  it('the CLI reports what the services refuse: an unknown run to watch, a bad remote request', () => {
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'apps/cli/src/main.ts'), ...args], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        timeout: 60_000,
        // The CLI finds the stack's certificates in its state folder.
        env: {
          ...process.env,
          SLCA_STACK_DIR: stack.options.dataDir,
          TSX_TSCONFIG_PATH: join(REPO_ROOT, 'tsconfig.base.json'),
        },
      });
    const watched = cli('watch', 'no-such-run', '--trainer', stack.address('trainer'));
    expect(watched.status).toBe(1);
    expect(watched.stderr).toContain('slca: NOT_FOUND: run no-such-run does not exist');
    const bad = cli(
      ...[
        'run',
        '--remote',
        '--trainer',
        stack.address('trainer'),
        '--evaluator',
        stack.address('evaluator'),
      ],
      ...['--method', 'slca', '--config', '{"stage1":{"lrr":1}}', '--out', join(dir, 'bad.json')],
    );
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('slca: INVALID_ARGUMENT: config_overrides_json: unknown setting stage1.lrr');
  }, 120_000);

  it('SIGKILL mid-task: a restarted trainer resumes from the latest checkpoint and finishes bit-identically', async () => {
    const client = trainer();
    await client.startRun(request('e2e-kill'));
    client.close();
    // Wait for a checkpoint inside the second task's training, then kill the trainer without warning.
    const seen = await watch(
      'e2e-kill',
      (e) => !!e.checkpoint && e.checkpoint.task === 1 && e.checkpoint.step > 0,
    );
    const checkpoint = seen.at(-1)?.checkpoint;
    expect(checkpoint?.task).toBe(1);
    expect(await stack.kill('trainer', 'SIGKILL')).toBe('SIGKILL');
    const orphan = await getRunRecord<{ status: string; latestCheckpoint: string }>(store, 'e2e-kill');
    expect(orphan?.status).toBe(RunStatus.RUN_STATUS_RUNNING);

    await stack.startService('trainer');
    const events = await watch('e2e-kill');
    const final = events.filter((e) => e.state).at(-1)?.state;
    expect(final?.status).toBe(RunStatus.RUN_STATUS_SUCCEEDED);
    expect(final?.resumedCount).toBe(1);
    expect(logs.some((l) => l.includes('resuming from runs/e2e-kill/checkpoints/'))).toBe(true);
    // Training continued rather than restarted: no step of the first task ran again.
    expect(events.some((e) => e.train && e.train.task === 0)).toBe(false);
    const metrics = await matrixOf('e2e-kill');
    expect(metrics?.accuracies).toEqual(inProcess.accuracies);
  }, 240_000);

  it('SIGTERM: the trainer checkpoints and exits within 20 s; on restart the run continues to the same result', async () => {
    const client = trainer();
    await client.startRun(request('e2e-term'));
    client.close();
    await watch('e2e-term', (e) => !!e.train && e.train.task === 0 && e.train.step >= 3);
    const started = performance.now();
    expect(await stack.kill('trainer', 'SIGTERM')).toBe(0);
    const seconds = (performance.now() - started) / 1000;
    expect(seconds).toBeLessThan(20);
    const record = await getRunRecord<{ status: string; latestCheckpoint: string }>(store, 'e2e-term');
    expect(record?.status).toBe(RunStatus.RUN_STATUS_INTERRUPTED);
    expect(record?.latestCheckpoint).toMatch(/^runs\/e2e-term\/checkpoints\/\d{8}\/$/);

    await stack.startService('trainer');
    const events = await watch('e2e-term');
    expect(events.filter((e) => e.state).at(-1)?.state?.status).toBe(RunStatus.RUN_STATUS_SUCCEEDED);
    expect((await matrixOf('e2e-term'))?.accuracies).toEqual(inProcess.accuracies);
  }, 240_000);

  it('cancel stops a run at a step with a checkpoint; resume finishes it with the same numbers', async () => {
    const client = trainer();
    try {
      await client.startRun(request('e2e-cancel'));
      await watch('e2e-cancel', (e) => !!e.train && e.train.task === 0 && e.train.step >= 2);
      const { run } = await client.cancelRun({ id: 'e2e-cancel' });
      expect(run?.status).toBe(RunStatus.RUN_STATUS_CANCELLED);
      expect(run?.latestCheckpoint).toMatch(/^runs\/e2e-cancel\/checkpoints\/\d{8}\/$/);
      const resumed = await client.resumeRun({ id: 'e2e-cancel' });
      expect(resumed.run?.status).toBe(RunStatus.RUN_STATUS_QUEUED);
    } finally {
      client.close();
    }
    const final = (await watch('e2e-cancel')).filter((e) => e.state).at(-1)?.state;
    expect(final?.status).toBe(RunStatus.RUN_STATUS_SUCCEEDED);
    expect(final?.resumedCount).toBe(1);
    expect((await matrixOf('e2e-cancel'))?.accuracies).toEqual(inProcess.accuracies);
  }, 300_000);

  it('the evaluator dying mid-run costs a pause, not the run: only the evaluation waits, and the run finishes with the same numbers', async () => {
    const client = trainer();
    await client.startRun(request('e2e-peer'));
    client.close();
    await watch('e2e-peer', (e) => !!e.train && e.train.task === 0 && e.train.step >= 2);
    const port = stack.address('evaluator').split(':').at(-1) as string;
    expect(await stack.kill('evaluator', 'SIGKILL')).toBe('SIGKILL');
    // The run trains on and then waits at its first evaluation, saying for what; it is not interrupted.
    const waiting = await watch('e2e-peer', (e) => !!e.state?.waitingFor);
    const paused = waiting.filter((e) => e.state).at(-1)?.state;
    expect(paused?.status).toBe(RunStatus.RUN_STATUS_RUNNING);
    expect(paused?.waitingFor).toBe(`the evaluator at 127.0.0.1:${port}`);
    await stack.startService('evaluator', { SLCA_EVALUATOR_PORT: port });
    const events = await watch('e2e-peer');
    const final = events.filter((e) => e.state).at(-1)?.state;
    expect(final?.status).toBe(RunStatus.RUN_STATUS_SUCCEEDED);
    expect(final?.waitingFor).toBe('');
    expect(final?.error).toBe('');
    // Nothing was trained again: no restart from a checkpoint, no step of the first task after the wait.
    expect(final?.resumedCount).toBe(0);
    expect(events.some((e) => e.train && e.train.task === 0)).toBe(false);
    expect(events.every((e) => e.state?.status !== RunStatus.RUN_STATUS_INTERRUPTED)).toBe(true);
    expect((await matrixOf('e2e-peer'))?.accuracies).toEqual(inProcess.accuracies);
  }, 300_000);

  it('bad requests get the specific status, name the field, and store nothing', async () => {
    const client = trainer();
    const status = (p: Promise<unknown>) =>
      p.then(
        () => ({ code: grpc.status.OK, details: '' }),
        (e: grpc.ServiceError) => ({ code: e.code, details: e.details }),
      );
    try {
      const bad = await status(client.startRun({ ...request('e2e-bad'), method: 'ewc' }));
      expect(bad.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(bad.details).toMatch(/^method: unknown method "ewc"/);
      const overrides = await status(
        client.startRun({ ...request('e2e-bad'), configOverridesJson: '{"stage1":{"lr":-1}}' }),
      );
      expect(overrides.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(overrides.details).toContain('stage1.lr');
      expect(await store.list('runs/e2e-bad/')).toEqual([]);

      expect((await status(client.getRun({ id: 'nope' }))).code).toBe(grpc.status.NOT_FOUND);
      // A negative seed arrives as uint32 (4294967295) and is refused, not run as another seed.
      const negative = await status(client.startRun({ ...request('e2e-bad'), seed: 4294967295 }));
      expect(negative.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(negative.details).toMatch(/^seed: .*\(a negative seed, -1, sent as uint32\?\)$/);
      // A malformed id is named as the request's field, with the trailer, on every call that takes one.
      for (const call of [
        () => client.getRun({ id: 'Bad/Id' }),
        () => client.cancelRun({ id: 'Bad/Id' }),
        () => client.resumeRun({ id: 'Bad/Id' }),
        () => client.getRunArtifacts({ id: 'Bad/Id' }),
      ]) {
        const error = (await call().then(
          () => undefined,
          (e: unknown) => e,
        )) as grpc.ServiceError;
        expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
        expect(error.details).toMatch(/^id: "Bad\/Id" must match /);
        expect(error.metadata.get('x-invalid-field')).toEqual(['id']);
      }
      expect((await status(client.resumeRun({ id: 'e2e-a' }))).code).toBe(grpc.status.FAILED_PRECONDITION);
      expect((await status(client.cancelRun({ id: 'e2e-a' }))).code).toBe(grpc.status.FAILED_PRECONDITION);
      const clash = await status(client.startRun({ ...request('e2e-a'), seed: 7 }));
      expect(clash.code).toBe(grpc.status.ALREADY_EXISTS);
      // The same request again is the same run (idempotent start).
      expect((await client.startRun(request('e2e-a'))).run?.status).toBe(RunStatus.RUN_STATUS_SUCCEEDED);
    } finally {
      client.close();
    }
  });

  it('a diverging run and a singular covariance fail the run with a message naming the step or the class', async () => {
    const client = trainer();
    try {
      await client.startRun({ ...request('e2e-diverge'), configOverridesJson: '{"stage1":{"lr":1e30}}' });
      await client.startRun({
        ...request('e2e-singular'),
        configOverridesJson: '{"initClasses":15,"increment":15,"covarianceRidge":0}',
      });
    } finally {
      client.close();
    }
    const diverged = (await watch('e2e-diverge')).filter((e) => e.state).at(-1)?.state;
    expect(diverged?.status).toBe(RunStatus.RUN_STATUS_FAILED);
    expect(diverged?.error).toMatch(
      /^training diverged: loss (NaN|-?Infinity) at task 1, epoch 1, step \d+$/,
    );
    const singular = (await watch('e2e-singular')).filter((e) => e.state).at(-1)?.state;
    expect(singular?.status).toBe(RunStatus.RUN_STATUS_FAILED);
    // 128-d features from ~34 images per class: rank-deficient without the ridge.
    expect(singular?.error).toMatch(/^class \d+: covariance is not positive definite/);
    // What was committed before the failure is still there and readable.
    expect(await store.exists('runs/e2e-singular/config.json')).toBe(true);
    expect((await store.list('runs/e2e-singular/checkpoints/')).length).toBeGreaterThan(0);
  }, 240_000);

  it('lists the run’s committed artifacts with digests, never staging uploads', async () => {
    const client = trainer();
    try {
      const { artifacts } = await client.getRunArtifacts({ id: 'e2e-a' });
      const keys = artifacts?.objects.map((o) => o.key) ?? [];
      expect(keys).toContain('runs/e2e-a/config.json');
      expect(keys.some((k) => /^runs\/e2e-a\/checkpoints\/\d{8}\/state\.safetensors$/.test(k))).toBe(true);
      expect(keys.some((k) => /^runs\/e2e-a\/stats\/\d{5}\/stats\.f64$/.test(k))).toBe(true);
      expect(keys).toContain('runs/e2e-a/metrics/accuracy/0001.json');
      expect(keys.some((k) => k.includes('/uploads/'))).toBe(false);
      expect(artifacts?.objects.every((o) => /^[0-9a-f]{64}$/.test(o.sha256) && o.size > 0)).toBe(true);
    } finally {
      client.close();
    }
  });
});
