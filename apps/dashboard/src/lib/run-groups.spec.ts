import { describe, expect, it } from 'vitest';
import { configDiff, groupBySeeds, type RunSummaryInput } from './run-groups';

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

describe('groupBySeeds (the paper-style table)', () => {
  it('groups seeds of one configuration, mean ± population std, in the paper’s method order', () => {
    const groups = groupBySeeds([
      run('c', 'slca', 1993, 22, 40),
      run('a', 'seqft', 1993, 10, 20),
      run('d', 'slca', 1996, 24, 42),
      run('e', 'joint', 1993, 26, 26),
    ]);
    expect(groups.map((g) => [g.label, g.seeds, g.lastAccText, g.incAccText])).toEqual([
      ['Seq FT', [1993], '10.00 ± 0.00', '20.00 ± 0.00'],
      ['SLCA', [1993, 1996], '23.00 ± 1.00', '41.00 ± 1.00'],
      ['Joint (upper bound)', [1993], '26.00 ± 0.00', '26.00 ± 0.00'],
    ]);
  });

  it('keeps configurations apart and names them by what differs; skips unfinished runs', () => {
    const groups = groupBySeeds([
      run('a', 'slca', 1993, 20, 30),
      run('b', 'slca', 1993, 21, 31, 0.005),
      { ...run('c', 'slca', 1996, 0, 0), status: 'RUN_STATUS_RUNNING' },
    ]);
    expect(groups.map((g) => g.label)).toEqual(['SLCA (stage1.lr=0.005)', 'SLCA (stage1.lr=0.01)']);
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
