import { describe, expect, it } from 'vitest';
import { cosineLr, multiStepLr, Sgd } from './sgd';

/*
 * torch.optim.SGD(momentum=0.9, weight_decay=0.1), by hand, for two groups of one parameter.
 * Group A (lr 0.5), p = 1, g = 2 each step:
 *   step 1: d = 2 + 0.1·1 = 2.1; buf = 2.1; p = 1 − 0.5·2.1 = −0.05
 *   step 2: d = 2 + 0.1·(−0.05) = 1.995; buf = 0.9·2.1 + 1.995 = 3.885; p = −0.05 − 0.5·3.885 = −1.9925
 * Group B (lr 0): frozen, never changes and keeps no momentum.
 */
describe('SGD with momentum and coupled weight decay', () => {
  it('matches PyTorch over two steps', () => {
    const sgd = new Sgd(2, { momentum: 0.9, weightDecay: 0.1 });
    const p = new Float32Array([1, 1]);
    const g = new Float32Array([2, 2]);
    const groups = [
      { start: 0, end: 1, lr: 0.5 },
      { start: 1, end: 2, lr: 0 },
    ];
    sgd.step(p, g, groups);
    expect(p[0]).toBeCloseTo(-0.05, 6);
    expect(sgd.momentumBuffer[0]).toBeCloseTo(2.1, 6);
    sgd.step(p, g, groups);
    expect(p[0]).toBeCloseTo(-1.9925, 5);
    expect(sgd.momentumBuffer[0]).toBeCloseTo(3.885, 5);
    expect(p[1]).toBe(1);
    expect(sgd.momentumBuffer[1]).toBe(0);
  });

  it('MultiStep divides by 10 at each milestone reached', () => {
    const lrs = [0, 17, 18, 19].map((e) => multiStepLr(0.01, e, [18], 0.1));
    [0.01, 0.01, 0.001, 0.001].forEach((v, i) => expect(lrs[i]).toBeCloseTo(v, 15));
    expect(multiStepLr(1, 5, [2, 4], 0.1)).toBeCloseTo(0.01, 12);
  });

  it('cosine annealing over 5 epochs', () => {
    // (1 + cos(π·e/5))/2 · 0.01 for e = 0..4
    const expected = [
      0.01, 0.009045084971874737, 0.006545084971874737, 0.003454915028125263, 0.0009549150281252633,
    ];
    expected.forEach((v, e) => expect(cosineLr(0.01, e, 5)).toBeCloseTo(v, 15));
  });
});
