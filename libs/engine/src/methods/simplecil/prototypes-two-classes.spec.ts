import { describe, expect, it } from 'vitest';
import { prototypeHead } from './prototypes';

// Two new classes (labels 2 and 3 after two known classes), 2-d features, two images each.
// By hand: class 2 has mean (3,4)+(1,0) / 2 = (2, 2), norm 2√2 → (1/√2, 1/√2);
//          class 3 has mean (0,4)+(0,6) / 2 = (0, 5), norm 5   → (0, 1).
const features = Float32Array.from([3, 4, 0, 4, 1, 0, 0, 6]);
const labels = [2, 3, 2, 3];

/** The logits of a feature through a head (weight [dim, classes]). */
function logits(head: ReturnType<typeof prototypeHead>, f: number[]): number[] {
  return Array.from({ length: head.classes }, (_, c) =>
    f.reduce((s, v, k) => s + v * head.weight[k * head.classes + c], head.bias[c]),
  );
}

describe('SimpleCIL prototypes of two classes', () => {
  it('are the class means divided by their norms, as a bias-free head [dim, classes]', () => {
    const head = prototypeHead(features, labels, 2, 2, 2);
    expect(head.classes).toBe(2);
    const r = Math.SQRT1_2;
    // weight[k * classes + c]: row k = feature k, column c = class.
    expect(Array.from(head.weight)).toEqual([r, 0, r, 1].map((v) => Math.fround(v)));
    expect(Array.from(head.bias)).toEqual([0, 0]);
  });

  it('predict by cosine, not by the raw mean: f = (1, 1) is nearer class 2 in angle, class 3 in dot product', () => {
    const head = prototypeHead(features, labels, 2, 2, 2);
    // cos(f, (2,2)) = 1, cos(f, (0,5)) = 1/√2; the raw dot products are 4 and 5.
    const [a, b] = logits(head, [1, 1]);
    expect(a).toBeCloseTo(Math.SQRT2, 6);
    expect(b).toBeCloseTo(1, 6);
    expect(a).toBeGreaterThan(b);
    // Scaling a feature never changes its prediction (only its logits).
    const [c, d] = logits(head, [10, 10]);
    expect(c).toBeGreaterThan(d);
    const [e, g] = logits(head, [0.1, 1]);
    expect(g).toBeGreaterThan(e);
  });

  it('refuses a class without images and a zero prototype, naming the class', () => {
    expect(() => prototypeHead(features, labels, 2, 2, 3)).toThrow('class 4: no training features');
    expect(() => prototypeHead(new Float32Array(4), [0, 0], 2, 0, 1)).toThrow(
      /class 0: its prototype has norm 0/,
    );
  });
});
