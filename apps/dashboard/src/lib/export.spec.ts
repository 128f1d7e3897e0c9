import { accuracyMatrixTable } from '@slca/metrics';
import { describe, expect, it } from 'vitest';
import { download, fileName, renderTable } from './export';

const table = accuracyMatrixTable([
  [90.125, null],
  [80, 70.5],
]);

describe('table export', () => {
  it('writes CSV with every digit, an empty cell where there is no value, and quotes where needed', () => {
    expect(renderTable(table, 'csv')).toBe('after task,task 1,task 2\n1,90.125,\n2,80,70.5\n');
    expect(renderTable({ columns: [{ title: 'name' }, { title: 'n' }], rows: [['a, "b"', 3]] }, 'csv')).toBe(
      'name,n\n"a, ""b""",3\n',
    );
  });

  it('writes JSON with columns and rows as they are', () => {
    expect(JSON.parse(renderTable(table, 'json'))).toEqual({
      columns: ['after task', 'task 1', 'task 2'],
      rows: [
        ['1', 90.125, null],
        ['2', 80, 70.5],
      ],
    });
  });

  it('writes Markdown and LaTeX through the metrics library, rounded', () => {
    expect(renderTable(table, 'md', { digits: 1 })).toBe(
      '| after task | task 1 | task 2 |\n| --- | ---: | ---: |\n| 1 | 90.1 | – |\n| 2 | 80.0 | 70.5 |\n',
    );
    expect(renderTable(table, 'tex')).toContain('1 & 90.13 & -- \\\\\n2 & 80.00 & 70.50 \\\\');
  });

  it('serves a download with the right type and a safe file name', async () => {
    expect(fileName('run a/b"c', 'csv')).toBe('run_a_b_c.csv');
    const response = download('x\n', 'md', 'e2e_matrix');
    expect(response.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="e2e_matrix.md"');
    expect(await response.text()).toBe('x\n');
  });
});
