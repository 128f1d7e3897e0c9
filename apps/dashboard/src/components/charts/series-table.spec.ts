import { describe, expect, it } from 'vitest';
import { seriesTable } from './series-table';

describe('a chart’s data table', () => {
  it('puts every series beside the others by x, null where one has no point', () => {
    const { table, shown, total } = seriesTable(
      [
        { name: 'old', points: [{ x: 2, y: 60 }] },
        {
          name: 'new',
          points: [
            { x: 1, y: 60 },
            { x: 2, y: 80 },
          ],
        },
      ],
      'after task',
    );
    expect(table.columns.map((c) => c.title)).toEqual(['after task', 'old', 'new']);
    expect(table.rows).toEqual([
      [1, null, 60],
      [2, 60, 80],
    ]);
    expect([shown, total]).toEqual([2, 2]);
  });

  it('thins a long curve to every k-th point and keeps the last', () => {
    const points = Array.from({ length: 10 }, (_, i) => ({ x: i, y: i * i }));
    const { table, shown, total } = seriesTable([{ name: 'loss', points }], 'step', 4);
    // ceil(10 / 4) = 3: x = 0, 3, 6, 9
    expect(table.rows).toEqual([
      [0, 0],
      [3, 9],
      [6, 36],
      [9, 81],
    ]);
    expect([shown, total]).toEqual([4, 10]);
  });
});
