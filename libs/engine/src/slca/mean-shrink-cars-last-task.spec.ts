import { Mt19937 } from '@slca/data';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@slca/compute';
import { alignClassifier, DEFAULT_ALIGNMENT, meanShrinkFactor, shrinkTasks } from './alignment';
import type { Head } from './heads';
import { classStatistics, type ClassStatistics } from './statistics';

/** Cars-196: nine tasks of 20 classes, then one of 16. */
const CARS = [...Array(9).fill(20), 16] as number[];

describe('mean shrinkage: which task a class belongs to', () => {
  it('true tasks: class 195 is in task 9, classes 0–19 in task 0', () => {
    const tasks = shrinkTasks(CARS, 9, 'true');
    expect(tasks).toHaveLength(196);
    expect(tasks[0]).toBe(0);
    expect(tasks[19]).toBe(0);
    expect(tasks[20]).toBe(1);
    expect(tasks[180]).toBe(9);
    expect(tasks[195]).toBe(9);
  });

  it("the reference's rule at Cars' last task: class ÷ 16, so class 195 → 12 and its factor is 1.03", () => {
    const tasks = shrinkTasks(CARS, 9, 'reference');
    // By hand: 0..15 → 0, 16..31 → 1, 20 → 1 (truly task 1), 179 → 11, 180 → 11, 192..195 → 12.
    expect(tasks[15]).toBe(0);
    expect(tasks[16]).toBe(1);
    expect(tasks[179]).toBe(11);
    expect(tasks[195]).toBe(12);
    // 0.9 + 0.1 · (12 + 1) / (9 + 1) = 1.03: an old class's mean is stretched, not shrunk.
    expect(meanShrinkFactor(tasks[195], 9)).toBeCloseTo(1.03, 14);
    expect(meanShrinkFactor(shrinkTasks(CARS, 9, 'true')[195], 9)).toBe(1);
  });

  it('with equal tasks (CIFAR-100: 10 × 10) both rules agree at every task', () => {
    const cifar = Array(10).fill(10) as number[];
    for (let t = 0; t < 10; t++)
      expect(shrinkTasks(cifar, t, 'reference')).toEqual(shrinkTasks(cifar, t, 'true'));
  });
});

describe('alignClassifier honours meanShrinkTask', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  function stats(sizes: number[]): ClassStatistics[] {
    const rng = new Mt19937(11);
    const out: ClassStatistics[] = [];
    let c = 0;
    sizes.forEach((size, task) => {
      for (let i = 0; i < size; i++, c++) {
        const n = 20;
        const f = new Float32Array(n * 2);
        for (let k = 0; k < n * 2; k++)
          f[k] = (k % 2 ? -1 : 1) * (0.2 + 0.1 * c) + 0.05 * rng.standardNormal();
        out.push(classStatistics(f, 2, [...Array(n).keys()], c, task));
      }
    });
    return out;
  }
  const heads = (sizes: number[]): Head[] =>
    sizes.map((classes, t) => ({
      classes,
      weight: Float32Array.from({ length: 2 * classes }, (_, i) => 0.1 * Math.sin(1 + i + 3 * t)),
      bias: new Float32Array(classes),
    }));
  const align = (sizes: number[], mode: 'true' | 'reference') =>
    alignClassifier(
      heads(sizes),
      stats(sizes),
      sizes.length - 1,
      { ...DEFAULT_ALIGNMENT, epochs: 1, samplesPerClass: 8, batchSize: 8, meanShrinkTask: mode },
      new Mt19937(12),
    );

  it('unequal tasks (2, 2, 1): the two rules give different heads', async () => {
    const a = await align([2, 2, 1], 'true');
    const b = await align([2, 2, 1], 'reference');
    expect(Array.from(a[0].weight)).not.toEqual(Array.from(b[0].weight));
  });

  it('equal tasks (2, 2): the two rules give the same heads bit for bit', async () => {
    const a = await align([2, 2], 'true');
    const b = await align([2, 2], 'reference');
    expect(a.map((h) => Array.from(h.weight))).toEqual(b.map((h) => Array.from(h.weight)));
  });
});
