import { describe, expect, it } from 'vitest';
import {
  accuracyMatrixTable,
  confusionTable,
  latexEscape,
  MetricsInputError,
  oldNewTable,
  perClassTable,
  tableLatex,
  tableMarkdown,
  tableTexts,
  type DataTable,
} from './index';

const R = [
  [90.5, null, null],
  [80, 70.125, null],
  [null, null, null],
];

describe('tables as Markdown and LaTeX', () => {
  it('writes the accuracy matrix of a run in progress (evaluated rows only, – above the diagonal)', () => {
    const table = accuracyMatrixTable(R);
    expect(tableMarkdown(table)).toBe(
      [
        '| after task | task 1 | task 2 | task 3 |',
        '| --- | ---: | ---: | ---: |',
        '| 1 | 90.50 | – | – |',
        '| 2 | 80.00 | 70.13 | – |',
      ].join('\n'),
    );
    expect(tableLatex(table, { digits: 1 })).toBe(
      [
        '\\begin{tabular}{lrrr}',
        '\\toprule',
        'after task & task 1 & task 2 & task 3 \\\\',
        '\\midrule',
        '1 & 90.5 & -- & -- \\\\',
        '2 & 80.0 & 70.1 & -- \\\\',
        '\\bottomrule',
        '\\end{tabular}',
      ].join('\n'),
    );
  });

  it('puts a captioned float around a paper table and escapes what LaTeX would read', () => {
    const paper: DataTable = {
      columns: [
        { title: 'Method' },
        { title: 'Last-Acc (%)', align: 'right' },
        { title: 'Δ', align: 'right' },
      ],
      rows: [
        ['SLCA (lr=0.01, 50% data)', '91.53 ± 0.28', '+0.42'],
        ['a_b & c #1', '≈ 41.80', '−1.07'],
      ],
    };
    expect(tableLatex(paper, { caption: 'CIFAR-100 B0 Inc10', label: 'tab:cifar' })).toBe(
      [
        '\\begin{table}[t]',
        '\\centering',
        '\\caption{CIFAR-100 B0 Inc10}',
        '\\label{tab:cifar}',
        '\\begin{tabular}{lrr}',
        '\\toprule',
        'Method & Last-Acc (\\%) & $\\Delta$ \\\\',
        '\\midrule',
        'SLCA (lr=0.01, 50\\% data) & 91.53 $\\pm$ 0.28 & +0.42 \\\\',
        'a\\_b \\& c \\#1 & $\\approx$ 41.80 & $-$1.07 \\\\',
        '\\bottomrule',
        '\\end{tabular}',
        '\\end{table}',
      ].join('\n'),
    );
    expect(latexEscape('\\{x}~^$')).toBe('\\textbackslash{}\\{x\\}\\textasciitilde{}\\textasciicircum{}\\$');
    expect(tableMarkdown({ columns: [{ title: 'a|b' }], rows: [['c\\d']] })).toBe(
      '| a\\|b |\n| --- |\n| c\\\\d |',
    );
  });

  it('writes counts without decimals and names classes when given', () => {
    const confusion = confusionTable(
      [
        [3, 1],
        [0, 4],
      ],
      ['cat', 'dog'],
    );
    expect(tableMarkdown(confusion)).toBe(
      [
        '| true \\\\ predicted | cat | dog |',
        '| --- | ---: | ---: |',
        '| cat | 3 | 1 |',
        '| dog | 0 | 4 |',
      ].join('\n'),
    );
    const oldNew = oldNewTable([
      { task: 0, old: null, new: 60, all: 60, oldImages: 0, newImages: 5 },
      { task: 1, old: 60, new: 80, all: 70, oldImages: 5, newImages: 5 },
    ]);
    expect(tableTexts(oldNew)).toEqual([
      ['1', '–', '60.00', '60.00', '0', '5'],
      ['2', '60.00', '80.00', '70.00', '5', '5'],
    ]);
    const perClass = perClassTable(
      [
        [50, 100, null],
        [25, 75, 62.5],
      ],
      [0, 1],
    );
    expect(tableTexts(perClass, 1)).toEqual([
      ['0', '50.0', '25.0'],
      ['1', '100.0', '75.0'],
      ['2', '–', '62.5'],
    ]);
    expect(perClass.columns.map((c) => c.title)).toEqual(['class', 'after task 1', 'after task 2']);
  });

  it('refuses tables it cannot write faithfully', () => {
    expect(() => tableMarkdown({ columns: [{ title: 'a' }], rows: [['x', 'y']] })).toThrow(
      /row 0 has 2 cells/,
    );
    expect(() => tableMarkdown({ columns: [{ title: 'a' }], rows: [[Number.NaN]] })).toThrow(
      MetricsInputError,
    );
    expect(() => tableLatex({ columns: [{ title: 'a' }], rows: [['x\ny']] })).toThrow(/line break/);
    expect(() => tableLatex({ columns: [{ title: 'a' }], rows: [] }, { caption: 'c', label: 'a b' })).toThrow(
      /label/,
    );
    expect(() => tableMarkdown({ columns: [], rows: [] })).toThrow(/at least one column/);
  });
});
