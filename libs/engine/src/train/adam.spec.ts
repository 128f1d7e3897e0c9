import { describe, expect, it } from 'vitest';
import { Adam } from './adam';

describe('Adam (torch.optim.Adam, weight decay 0)', () => {
  it('takes two steps as the formula does by hand, only inside its ranges and groups with lr > 0', () => {
    // Ranges [0, 1) and [2, 4): parameter 1 is frozen (never trained), parameter 3 in a group with lr 0.
    const adam = new Adam([
      { start: 0, end: 1 },
      { start: 2, end: 4 },
    ]);
    const p = Float32Array.from([1, 2, 5, 7]);
    const lr = 0.01;
    const groups = [
      { start: 0, end: 1, lr },
      { start: 2, end: 3, lr },
      { start: 3, end: 4, lr: 0 },
    ];
    adam.step(p, Float32Array.from([0.5, 9, -2, 3]), groups);
    // Step 1: m̂ = g, v̂ = g², so p moves by lr·g/(|g| + ε·…) ≈ lr·sign(g).
    expect(p[0]).toBeCloseTo(1 - lr, 6);
    expect(p[2]).toBeCloseTo(5 + lr, 6);
    expect([p[1], p[3]]).toEqual([2, 7]);
    adam.step(p, Float32Array.from([-1, 9, 4, 3]), groups);
    // Step 2 for parameter 0 (g = 0.5, then −1): m = 0.9·0.05 − 0.1 = −0.055, v = 0.999·0.00025 + 0.001.
    const m = -0.055;
    const v = 0.999 * 0.00025 + 0.001;
    const step = ((lr / (1 - 0.81)) * m) / (Math.sqrt(v) / Math.sqrt(1 - 0.999 ** 2) + 1e-8);
    expect(p[0]).toBeCloseTo(1 - lr - step, 6);
    expect(adam.steps).toBe(2);
    expect(adam.m.length).toBe(3);
  });

  it('resumes from saved moments exactly', () => {
    const ranges = [{ start: 0, end: 2 }];
    const groups = [{ start: 0, end: 2, lr: 0.1 }];
    const a = new Adam(ranges);
    const pa = Float32Array.from([1, -1]);
    a.step(pa, Float32Array.from([0.3, -0.7]), groups);
    const b = new Adam(ranges);
    b.load(a.m.slice(), a.v.slice(), a.steps);
    const pb = pa.slice();
    a.step(pa, Float32Array.from([0.2, 0.1]), groups);
    b.step(pb, Float32Array.from([0.2, 0.1]), groups);
    expect(Array.from(pb)).toEqual(Array.from(pa));
  });
});
