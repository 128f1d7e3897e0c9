import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';

import { splitterClient, trainerClient } from '@slca/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, present, REPO_ROOT, Stack, writeCifar100Release, writeCub200Release } from '../src';

/**
 * The paper's benchmarks as platform runs, end to end through real processes and sockets: CIFAR-100 and
 * CUB-200 releases in their official formats and a tiny ViT from a torch.save file and from safetensors are
 * registered with the splitter (and locally for the CLI); the same experiment file then runs in-process
 * (`slca run --config`) and through the trainer (`--remote`), with the same accuracy matrix bit for bit.
 */

const FIXTURES = join(REPO_ROOT, 'libs/engine/test/fixtures/torch');
/** The architecture of the torch fixtures (libs/engine/scripts/make-torch-fixtures.py). */
const TINY = { imageSize: 8, patchSize: 4, dim: 8, depth: 1, heads: 2, mlpDim: 16 };

let dir: string;
let stack: Stack;
let datasetsDir: string;
let registryDir: string;

function cli(...args: string[]) {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(REPO_ROOT, 'apps/cli/src/main.ts'), ...args],
    {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 300_000,
      env: {
        ...process.env,
        FORCE_COLOR: '0',
        // The CLI finds the stack's certificates in its state folder.
        SLCA_STACK_DIR: stack.options.dataDir,
        TSX_TSCONFIG_PATH: join(REPO_ROOT, 'tsconfig.base.json'),
      },
    },
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// The imports and registrations read paths on the splitter's host: the operator's certificate.
const splitter = () =>
  splitterClient({
    address: stack.address('splitter'),
    deadlineMs: 120_000,
    credentials: stack.credentials('operator'),
  });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'slca-experiments-'));
  datasetsDir = join(dir, 'datasets');
  registryDir = join(dir, 'registry');
  stack = await Stack.start({ dataDir: join(dir, 'stack'), env: { SLCA_TRAINER_WORKERS: '2' } });
  const cifar = writeCifar100Release(dir);
  const cub = await writeCub200Release(dir);
  const client = splitter();
  try {
    for (const [name, format, path] of [
      ['cifar-tiny', 'cifar100', cifar],
      ['cub-tiny', 'cub200', cub],
    ] as const) {
      await client.importBenchmarkDataset({
        name,
        format,
        path,
      });
      const local = cli(
        'dataset',
        'import',
        '--format',
        format,
        '--path',
        path,
        '--name',
        name,
        '--datasets-dir',
        datasetsDir,
      );
      expect(local.status, local.stderr).toBe(0);
    }
    // The service registers the safetensors copy, the CLI's local registry the torch.save file: one digest.
    await client.registerBackbone({
      name: 'tiny',
      arch: JSON.stringify(TINY),
      path: join(FIXTURES, 'vit-tiny.safetensors'),
    });
    await client.registerBackbone({
      name: 'tiny-moco',
      arch: JSON.stringify(TINY),
      path: join(FIXTURES, 'vit-tiny-moco.pth.tar'),
    });
  } finally {
    client.close();
  }
  const local = cli(
    'backbone',
    'register',
    '--file',
    join(FIXTURES, 'vit-tiny.pt'),
    '--arch',
    JSON.stringify(TINY),
    '--name',
    'tiny',
    '--registry',
    registryDir,
  );
  expect(local.status, local.stderr).toBe(0);
}, 300_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

/** Writes an experiment file: a paper configuration on a tiny dataset and the tiny ViT, one epoch. */
function experimentFile(name: string, yaml: string): string {
  const file = join(dir, name);
  writeFileSync(file, yaml);
  return file;
}

interface Result {
  accuracyMatrix: (number | null)[][];
  accuracies: number[];
  lastAcc: number;
  classOrder: number[];
  lineage: {
    dataset: string;
    datasetDigest: string;
    backbone: string;
    backboneDigest: string;
    configurationId: string;
  };
}

function runBothWays(file: string, runId: string): { local: Result; remote: Result } {
  const localOut = join(dir, `${runId}-local.json`);
  const remoteOut = join(dir, `${runId}-remote.json`);
  const local = cli(
    'run',
    '--config',
    file,
    '--datasets-dir',
    datasetsDir,
    '--registry',
    registryDir,
    '--backend',
    'wasm',
    '--out',
    localOut,
  );
  expect(local.status, local.stderr).toBe(0);
  const remote = cli(
    'run',
    '--config',
    file,
    '--remote',
    '--run-id',
    runId,
    '--trainer',
    stack.address('trainer'),
    '--evaluator',
    stack.address('evaluator'),
    '--splitter',
    stack.address('splitter'),
    '--out',
    remoteOut,
  );
  expect(remote.status, remote.stderr).toBe(0);
  return {
    local: JSON.parse(readFileSync(localOut, 'utf8')) as Result,
    remote: JSON.parse(readFileSync(remoteOut, 'utf8')) as Result,
  };
}

describe('paper benchmarks through the platform', () => {
  it('the two registrations of one backbone (safetensors, MoCo v3 torch.save) have one digest', async () => {
    const client = splitter();
    try {
      const a = present((await client.getBackbone({ name: 'tiny' })).backbone);
      const b = present((await client.getBackbone({ name: 'tiny-moco' })).backbone);
      expect(b.digest).toBe(a.digest);
      expect(b.sourceFormat).toBe('torch');
    } finally {
      client.close();
    }
  });

  it('SLCA on the CIFAR-100 release: in-process and through the trainer give the same accuracy matrix bit for bit', () => {
    const file = experimentFile(
      'slca-cifar-tiny.yaml',
      [
        'extends: cifar100/in21k/slca',
        'dataset: cifar-tiny',
        'backbone: tiny',
        `arch: ${JSON.stringify(TINY)}`,
        'initClasses: 50',
        'increment: 50',
        'stage1: { epochs: 1, batchSize: 32 }',
        'alignment: { epochs: 1, samplesPerClass: 8, batchSize: 64 }',
        'compute: { backend: wasm, shards: 2 }',
      ].join('\n'),
    );
    const { local, remote } = runBothWays(file, 'cifar-tiny-slca');
    expect(remote.accuracyMatrix).toEqual(local.accuracyMatrix);
    expect(remote.accuracies).toEqual(local.accuracies);
    expect(remote.lastAcc).toBe(local.lastAcc);
    expect(remote.classOrder).toEqual(local.classOrder);
    expect(local.accuracyMatrix).toHaveLength(2);
    expect(local.lineage.datasetDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(local.lineage.backboneDigest).toMatch(/^[0-9a-f]{64}$/);
    // Lineage: the same dataset manifest and the same canonical weights, whichever file they came from.
    expect(remote.lineage).toMatchObject({
      dataset: 'cifar-tiny',
      backbone: 'tiny',
      configurationId: 'cifar100/in21k/slca@v3',
      datasetDigest: local.lineage.datasetDigest,
      backboneDigest: local.lineage.backboneDigest,
    });
  }, 600_000);

  // The methods whose evaluation needs more than the backbone and the heads: L2P's prompts travel in the
  // model file, RanPAC's projection is derived from the run's configuration by the evaluator.
  it.each([
    ['l2p', 'l2p: { poolSize: 4, promptLength: 2, topK: 2 }'],
    ['ranpac', 'ranpac: { projectionDim: 32 }'],
  ])(
    '%s on the CIFAR-100 release: the same accuracy matrix in-process and through the trainer',
    (method, options) => {
      const file = experimentFile(
        `${method}-cifar-tiny.yaml`,
        [
          `extends: cifar100/in21k/${method}`,
          'dataset: cifar-tiny',
          'backbone: tiny',
          `arch: ${JSON.stringify(TINY)}`,
          'initClasses: 50',
          'increment: 50',
          'stage1: { epochs: 1, batchSize: 32 }',
          options,
          'compute: { backend: wasm, shards: 2 }',
        ].join('\n'),
      );
      const { local, remote } = runBothWays(file, `cifar-tiny-${method}`);
      expect(local.accuracyMatrix).toHaveLength(2);
      expect(remote.accuracyMatrix).toEqual(local.accuracyMatrix);
      expect(remote.accuracies).toEqual(local.accuracies);
      expect(remote.lineage.configurationId).toBe(`cifar100/in21k/${method}@v3`);
    },
    600_000,
  );

  it('the Slow Learner on the CUB-200 release (source-size JPEGs, Resize → RandomCrop): the same both ways', () => {
    const file = experimentFile(
      'sl-cub-tiny.yaml',
      [
        'extends: cub200/in21k/sl',
        'dataset: cub-tiny',
        'backbone: tiny',
        `arch: ${JSON.stringify(TINY)}`,
        'initClasses: 2',
        'increment: 2',
        'stage1: { epochs: 1, batchSize: 4 }',
        'compute: { backend: wasm, shards: 2 }',
      ].join('\n'),
    );
    const { local, remote } = runBothWays(file, 'cub-tiny-sl');
    expect(remote.accuracyMatrix).toEqual(local.accuracyMatrix);
    expect(remote.accuracies).toEqual(local.accuracies);
    expect(remote.lineage.configurationId).toBe('cub200/in21k/sl@v3');
  }, 600_000);

  it('`reproduce --remote` submits every (method, seed) and builds the table from the platform’s runs', () => {
    const outDir = join(dir, 'reproduce-remote');
    const r = cli(
      ...[
        'reproduce',
        '--remote',
        '--benchmark',
        'cifar100',
        '--dataset',
        'cifar-tiny',
        '--backbone-name',
        'tiny',
      ],
      ...['--arch', JSON.stringify(TINY), '--methods', 'sl', '--seeds', '1993,1996', '--epochs', '1'],
      ...['--set', 'initClasses=50', '--set', 'increment=50', '--set', 'compute.backend=wasm'],
      ...['--trainer', stack.address('trainer'), '--evaluator', stack.address('evaluator')],
      ...['--splitter', stack.address('splitter'), '--out-dir', outDir],
    );
    expect(r.status, r.stderr).toBe(0);
    const md = readFileSync(join(outDir, 'table.md'), 'utf8');
    expect(md).toContain('Split CIFAR-100 through the platform, configurations cifar100/in21k/sl@v3');
    // Two seeds, and the paper's Slow Learner number beside ours with the difference.
    expect(md).toMatch(/\| Slow Learner \| \d+\.\d\d ± \d+\.\d\d \| 88\.86 \| [+-]?\d+\.\d\d \| .* \| 2 \|/);
    const table = JSON.parse(readFileSync(join(outDir, 'table.json'), 'utf8')) as {
      remote: boolean;
      runs: { runId: string; seed: number }[];
    };
    expect(table.remote).toBe(true);
    expect(table.runs.map((x) => [x.runId, x.seed])).toEqual([
      ['cifar100-in21k-sl-seed1993-e1', 1993],
      ['cifar100-in21k-sl-seed1996-e1', 1996],
    ]);
  }, 600_000);

  it('refuses what does not exist or does not fit before storing anything', async () => {
    const trainer = trainerClient({
      address: stack.address('trainer'),
      deadlineMs: 60_000,
      credentials: stack.credentials('cli'),
    });
    const start = (
      runId: string,
      experiment: object,
      more: { set?: string[]; validateOnly?: boolean } = {},
    ) =>
      trainer.startRun({
        runId,
        benchmark: '',
        method: '',
        seed: 0,
        epochs: 0,
        checkpointEvery: 0,
        tags: [],
        configOverridesJson: '',
        experimentJson: JSON.stringify({ extends: 'cifar100/in21k/slca', arch: TINY, ...experiment }),
        set: more.set ?? [],
        validateOnly: more.validateOnly ?? false,
      });
    try {
      const noDataset = await failure(start('bad-dataset', { dataset: 'nope', backbone: 'tiny' }));
      expect(noDataset.code).toBe(status.NOT_FOUND);
      expect(noDataset.details).toContain('dataset nope is not registered');
      const noBackbone = await failure(start('bad-backbone', { dataset: 'cifar-tiny', backbone: 'nope' }));
      expect(noBackbone.code).toBe(status.NOT_FOUND);
      expect(noBackbone.details).toContain('backbone nope is not registered');
      const tooMany = await failure(start('bad-fit', { dataset: 'cub-tiny', backbone: 'tiny' }));
      expect(tooMany.code).toBe(status.INVALID_ARGUMENT);
      expect(tooMany.details).toMatch(/cub-tiny has 4 classes, fewer than the first task's 10/);
      const wrongArch = await failure(
        start('bad-arch', { dataset: 'cifar-tiny', backbone: 'tiny', arch: { ...TINY, dim: 16 } }),
      );
      expect(wrongArch.code).toBe(status.INVALID_ARGUMENT);
      expect(wrongArch.details).toContain('backbone tiny is registered as');
      const unknownKey = await failure(
        start('bad-key', { dataset: 'cifar-tiny', backbone: 'tiny', stage1: { epocs: 1 } }),
      );
      expect(unknownKey.code).toBe(status.INVALID_ARGUMENT);
      expect(unknownKey.metadata.get('x-invalid-field')).toEqual(['experiment_json.stage1.epocs']);
      for (const id of ['bad-dataset', 'bad-backbone', 'bad-fit', 'bad-arch', 'bad-key'])
        expect((await failure(trainer.getRun({ id }))).code).toBe(status.NOT_FOUND);
      // validate_only resolves and checks, and stores nothing either.
      const { run } = await start(
        'preview',
        { dataset: 'cifar-tiny', backbone: 'tiny' },
        { set: ['stage1.epochs=2'], validateOnly: true },
      );
      expect(JSON.parse(present(run).configJson)).toMatchObject({
        dataset: 'cifar-tiny',
        stage1: { epochs: 2 },
      });
      expect((await failure(trainer.getRun({ id: 'preview' }))).code).toBe(status.NOT_FOUND);
    } finally {
      trainer.close();
    }
  }, 120_000);
});
