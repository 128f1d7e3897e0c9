import { describe, expect, it } from 'vitest';
import { taskBoundaries, taskOfClass, taskSizes } from './tasks';

describe('taskSizes (docs/method.md §3.3)', () => {
  it.each([
    ['CIFAR-100 10/10', 100, 10, 10, Array(10).fill(10)],
    ['ImageNet-R / CUB-200 20/20', 200, 20, 20, Array(10).fill(20)],
    ['Cars-196 20/20', 196, 20, 20, [...Array(9).fill(20), 16]],
    ['Split Emoji 3/3', 30, 3, 3, Array(10).fill(3)],
    ['a larger first task, 50 then 10', 100, 50, 10, [50, 10, 10, 10, 10, 10]],
    ['a single task', 10, 10, 5, [10]],
    ['a remainder of one', 21, 10, 10, [10, 10, 1]],
  ])('%s', (_name, n, init, inc, expected) => {
    const sizes = taskSizes(n, init, inc);
    expect(sizes).toEqual(expected);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(n);
  });

  it('names the argument that is wrong', () => {
    expect(() => taskSizes(0, 10, 10)).toThrow(/nClasses must be a positive integer, got 0/);
    expect(() => taskSizes(100.5, 10, 10)).toThrow(/nClasses/);
    expect(() => taskSizes(100, -1, 10)).toThrow(/initCls must be a positive integer, got -1/);
    expect(() => taskSizes(100, 2.5, 10)).toThrow(/initCls/);
    expect(() => taskSizes(100, 10, 0)).toThrow(/increment must be a positive integer, got 0/);
    expect(() => taskSizes(100, 10, Number.NaN)).toThrow(/increment/);
    expect(() => taskSizes(10, 20, 5)).toThrow(/initCls \(20\) must not exceed nClasses \(10\)/);
    expect(() => taskSizes(10, 20, 5)).toThrow(RangeError);
  });
});

describe('taskBoundaries and taskOfClass', () => {
  const cars = taskSizes(196, 20, 20);

  it('gives cumulative half-open ranges', () => {
    expect(taskBoundaries([3, 2, 4])).toEqual([
      { start: 0, end: 3 },
      { start: 3, end: 5 },
      { start: 5, end: 9 },
    ]);
    expect(taskBoundaries(cars).at(-1)).toEqual({ start: 180, end: 196 });
  });

  it('finds the task that introduces a class', () => {
    expect(taskOfClass(cars, 0)).toBe(0);
    expect(taskOfClass(cars, 19)).toBe(0);
    expect(taskOfClass(cars, 20)).toBe(1);
    expect(taskOfClass(cars, 179)).toBe(8);
    expect(taskOfClass(cars, 180)).toBe(9);
    expect(taskOfClass(cars, 195)).toBe(9);
  });

  it('rejects classes outside the split and malformed sizes', () => {
    expect(() => taskOfClass(cars, 196)).toThrow(/cls must be an integer in 0\.\.195, got 196/);
    expect(() => taskOfClass(cars, -1)).toThrow(/cls/);
    expect(() => taskBoundaries([10, 0])).toThrow(/sizes\[1\] must be a positive integer, got 0/);
  });
});
