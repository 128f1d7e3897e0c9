import { describe, expect, it } from 'vitest';
import { CATALOG, CIFAR_SLCA, EMBEDDED_SLCA } from './catalog.fixture';
import { configDiff, groupBySeeds, runBackbone, runDataset, type RunSummaryInput } from './run-groups';

/** An older record: the engine's configuration only, no catalogue configuration, no lineage. */
const run = (
  id: string,
  method: string,
  seed: number,
  lastAcc: number,
  incAcc: number,
  lr = 0.01,
): RunSummaryInput => ({
  id,
  status: 'RUN_STATUS_SUCCEEDED',
  benchmark: 'embedded',
  method,
  seed,
  configJson: JSON.stringify({ method, seed, workers: 2, stage1: { epochs: 1, lr } }),
  lastAcc,
  incAcc,
  accuracies: [incAcc, lastAcc],
});

/** A run of a catalogue configuration, with its lineage as the trainer records it. */
const configured = (
  id: string,
  experiment: Record<string, unknown>,
  seed: number,
  lastAcc: number,
  incAcc: number,
  changes: Record<string, unknown> = {},
): RunSummaryInput => {
  const configuration = experiment.configuration as { id: string };
  return {
    id,
    status: 'RUN_STATUS_SUCCEEDED',
    benchmark: String(experiment.benchmark),
    method: String(experiment.method),
    seed,
    configJson: JSON.stringify({ ...experiment, ...changes, seed }),
    lastAcc,
    incAcc,
    accuracies: [incAcc, lastAcc],
    lineage: {
      configurationId: configuration.id,
      dataset: String(experiment.dataset),
      backbone: String(experiment.backbone),
    },
  };
};

const row = (g: ReturnType<typeof groupBySeeds>[number]) => [
  g.label,
  g.configurationId,
  g.lastAccText,
  g.lastAccPaper,
  g.lastAccDelta,
  g.incAccText,
  g.incAccPaper,
  g.incAccDelta,
  g.seedsText,
];

describe('groupBySeeds (the paper-style table)', () => {
  it('groups seeds of one configuration, mean ± population std, in the catalogue’s method order', () => {
    const groups = groupBySeeds(
      [
        run('c', 'slca', 1993, 22, 40),
        run('a', 'seqft', 1993, 10, 20),
        run('d', 'slca', 1996, 24, 42),
        run('e', 'joint', 1993, 26, 26),
      ],
      CATALOG,
    );
    expect(groups.map((g) => [g.label, g.seeds, g.lastAccText, g.incAccText, g.seedsText])).toEqual([
      ['Seq FT', [1993], '10.00', '20.00', '1 seed'],
      ['SLCA', [1993, 1996], '23.00 ± 1.00', '41.00 ± 1.00', '2 seeds'],
      ['Joint (upper bound)', [1993], '26.00', '26.00', '1 seed'],
    ]);
  });

  it('puts the published number and ours − paper beside each cell of a paper configuration', () => {
    const groups = groupBySeeds(
      [
        configured('s1', CIFAR_SLCA, 1993, 91.0, 93.5),
        configured('s2', CIFAR_SLCA, 1996, 92.0, 94.5),
        configured('s3', CIFAR_SLCA, 1997, 91.5, 94.0),
        configured(
          'q',
          {
            ...CIFAR_SLCA,
            method: 'seqft',
            configuration: { id: 'cifar100/in21k/seqft@v3' },
            alignment: null,
          },
          1993,
          40,
          60,
        ),
        configured(
          'l',
          { ...CIFAR_SLCA, method: 'sl', configuration: { id: 'cifar100/in21k/sl@v3' }, alignment: null },
          1993,
          88.86,
          93,
        ),
        configured('e', EMBEDDED_SLCA, 1993, 30, 50),
      ],
      CATALOG,
    );
    expect(groups.map(row)).toEqual([
      // The embedded benchmark first (the catalogue's order); the paper publishes nothing for it.
      ['SLCA', 'embedded/vit-emoji/slca@v1', '30.00', '–', '–', '50.00', '–', '–', '1 seed'],
      // Approximate (read off a plot) and without Inc-Acc.
      ['Seq FT', 'cifar100/in21k/seqft@v3', '40.00', '≈ 41.80', '≈ -1.80', '60.00', '–', '–', '1 seed'],
      // A difference that rounds to zero is 0.00, unsigned.
      ['Slow Learner', 'cifar100/in21k/sl@v3', '88.86', '88.86', '0.00', '93.00', '92.01', '+0.99', '1 seed'],
      [
        'SLCA',
        'cifar100/in21k/slca@v3',
        '91.50 ± 0.41',
        '91.53 ± 0.28',
        '-0.03',
        '94.00 ± 0.41',
        '94.09 ± 0.87',
        '-0.09',
        '3 seeds',
      ],
    ]);
    expect(groups[3].published?.source).toBe('SLCA paper (ICCV 2023), ViT-B/16 IN21K');
    expect([groups[3].dataset, groups[3].backbone]).toEqual(['cifar100', 'in21k']);
  });

  it('names a configuration run with overrides by them, apart from the configuration run as it is', () => {
    const groups = groupBySeeds(
      [
        configured('a', EMBEDDED_SLCA, 1993, 20, 30, { initClasses: 15, increment: 15 }),
        configured('b', EMBEDDED_SLCA, 1996, 22, 32, { initClasses: 15, increment: 15 }),
        configured('c', EMBEDDED_SLCA, 1993, 25, 35),
        configured('d', EMBEDDED_SLCA, 1993, 25, 35, {
          initClasses: 5,
          increment: 5,
          covarianceRidge: 0.1,
          normalize: { ...EMBEDDED_SLCA.normalize, mean: [0, 0, 0] },
        }),
      ],
      CATALOG,
    );
    expect(groups.map((g) => [g.label, g.seedsText])).toEqual([
      ['SLCA', '1 seed'],
      ['SLCA (initClasses=15, increment=15)', '2 seeds'],
      ['SLCA (initClasses=5, increment=5, normalize.mean=[0,0,0], +1 more)', '1 seed'],
    ]);
    expect(groups[2].changes).toEqual([
      'initClasses=5',
      'increment=5',
      'normalize.mean=[0,0,0]',
      'covarianceRidge=0.1',
    ]);
  });

  it('counts a seed once, keeps configurations apart and names them by what differs; skips unfinished runs', () => {
    const groups = groupBySeeds([
      run('a', 'slca', 1993, 20, 30),
      run('a2', 'slca', 1993, 99, 99),
      run('b', 'slca', 1993, 21, 31, 0.005),
      { ...run('c', 'slca', 1996, 0, 0), status: 'RUN_STATUS_RUNNING' },
    ]);
    expect(groups.map((g) => [g.label, g.runs.map((r) => r.id)])).toEqual([
      ['slca (stage1.lr=0.005)', ['b']],
      ['slca (stage1.lr=0.01)', ['a']],
    ]);
  });

  it('finds dataset and backbone in the lineage, else in the experiment', () => {
    const stored = configured('a', EMBEDDED_SLCA, 1993, 1, 1);
    expect([runDataset(stored), runBackbone(stored)]).toEqual(['split-emoji', 'vit-emoji']);
    expect(runDataset({ ...stored, lineage: null, configJson: JSON.stringify({ dataset: 'd2' }) })).toBe(
      'd2',
    );
    expect(runBackbone(run('x', 'slca', 1, 1, 1))).toBe('');
  });
});

describe('configDiff', () => {
  it('lists only the settings whose values differ, by dotted path', () => {
    expect(
      configDiff([run('a', 'slca', 1, 0, 0).configJson, run('b', 'slca', 2, 0, 0, 0.1).configJson]),
    ).toEqual([
      { path: 'seed', values: ['1', '2'] },
      { path: 'stage1.lr', values: ['0.01', '0.1'] },
    ]);
  });
});
