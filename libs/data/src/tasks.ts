/**
 * Task splits of the SLCA protocol: the first task holds `initCls` classes, each later task
 * `increment`, and a final smaller task takes any remainder (Cars-196 20/20 → 9×20 + 16).
 */
export function taskSizes(nClasses: number, initCls: number, increment: number): number[] {
  requirePositiveInteger('taskSizes', 'nClasses', nClasses);
  requirePositiveInteger('taskSizes', 'initCls', initCls);
  requirePositiveInteger('taskSizes', 'increment', increment);
  if (initCls > nClasses) {
    throw new RangeError(`taskSizes: initCls (${initCls}) must not exceed nClasses (${nClasses})`);
  }
  const sizes = [initCls];
  let total = initCls;
  while (total + increment < nClasses) {
    sizes.push(increment);
    total += increment;
  }
  if (nClasses - total > 0) sizes.push(nClasses - total);
  return sizes;
}

/** A task's classes are the half-open range [start, end) of new labels. */
export interface TaskRange {
  start: number;
  end: number;
}

export function taskBoundaries(sizes: readonly number[]): TaskRange[] {
  let start = 0;
  return sizes.map((size, t) => {
    requirePositiveInteger('taskBoundaries', `sizes[${t}]`, size);
    const range = { start, end: start + size };
    start += size;
    return range;
  });
}

/** The index of the task that introduces new label `cls`. */
export function taskOfClass(sizes: readonly number[], cls: number): number {
  const ranges = taskBoundaries(sizes);
  const total = ranges.length === 0 ? 0 : ranges[ranges.length - 1].end;
  if (!Number.isInteger(cls) || cls < 0 || cls >= total) {
    throw new RangeError(`taskOfClass: cls must be an integer in 0..${total - 1}, got ${String(cls)}`);
  }
  return ranges.findIndex((r) => cls < r.end);
}

function requirePositiveInteger(fn: string, name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(`${fn}: ${name} must be a positive integer, got ${String(value)}`);
  }
}
