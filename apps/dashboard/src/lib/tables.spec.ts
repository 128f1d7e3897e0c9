import { describe, expect, it } from 'vitest';
import { renderTable } from './export';
import { groupBySeeds } from './run-groups';
import { configDiffTable, paperDataTable, runsDataTable } from './tables';

const run = (id: string, seed: number, lastAcc: number, incAcc: number) => ({
  id,
  status: 'RUN_STATUS_SUCCEEDED',
  benchmark: 'embedded',
  method: 'slca',
  seed,
  configJson: '{"method":"slca","seed":' + seed + '}',
  lastAcc,
  incAcc,
  accuracies: [incAcc, lastAcc],
});

describe('the compare page’s and the runs page’s tables for export', () => {
  // Two seeds: Last-Acc 80 and 90 → 85 ± 5 (ddof 0); Inc-Acc 88 and 92 → 90 ± 2.
  const groups = groupBySeeds([run('a', 1, 80, 88), run('b', 2, 90, 92)]);

  it('writes the paper-style table as the page shows it, for Markdown and LaTeX', () => {
    const table = paperDataTable(groups, 'text');
    expect(table.rows).toEqual([
      ['slca', 'embedded/slca', '85.00 ± 5.00', '–', '–', '90.00 ± 2.00', '–', '–', '2'],
    ]);
    expect(renderTable(table, 'tex')).toContain(
      'slca & embedded/slca & 85.00 $\\pm$ 5.00 & -- & -- & 90.00 $\\pm$ 2.00 & -- & -- & 2 \\\\',
    );
  });

  it('writes means and stds as numbers for CSV', () => {
    const csv = renderTable(paperDataTable(groups, 'numbers'), 'csv').split('\n');
    expect(csv[0]).toBe(
      'method,configuration,benchmark,dataset,backbone,last_acc_mean,last_acc_std,last_acc_paper,last_acc_paper_std,inc_acc_mean,inc_acc_std,inc_acc_paper,inc_acc_paper_std,paper_approximate,seeds,runs',
    );
    expect(csv[1]).toBe('slca,embedded/slca,embedded,,,85,5,,,90,2,,,,2,a b');
  });

  it('writes the runs with full-precision accuracies and ISO times', () => {
    const table = runsDataTable([
      {
        id: 'r1',
        status: 'RUN_STATUS_RUNNING',
        methodLabel: 'SLCA',
        benchmark: 'embedded',
        dataset: 'split-emoji',
        backbone: '',
        seed: 1993,
        backend: 'wasm',
        tags: ['a', 'b'],
        tasks: 2,
        tasksDone: 1,
        lastAcc: 61.25,
        incAcc: null,
        createdAtMs: Date.UTC(2026, 0, 2, 3, 4, 5),
        startedAtMs: 0,
        finishedAtMs: 0,
      },
    ]);
    expect(renderTable(table, 'csv').split('\n')[1]).toBe(
      'r1,running,SLCA,embedded,split-emoji,,1993,wasm,a b,1,2,61.25,,2026-01-02T03:04:05.000Z,,',
    );
  });

  it('writes the configuration differences one setting a row', () => {
    const table = configDiffTable(['a', 'b'], [{ path: 'seed', values: ['1', undefined] }]);
    expect(renderTable(table, 'md')).toBe('| setting | a | b |\n| --- | --- | --- |\n| seed | 1 | – |\n');
  });
});
