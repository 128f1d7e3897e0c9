import type { ParamGroup } from './sgd';

export interface AdamOptions {
  beta1: number;
  beta2: number;
  eps: number;
}

/** torch.optim.Adam's defaults (weight decay 0, as L2P's and DualPrompt's references run it). */
export const DEFAULT_ADAM: AdamOptions = { beta1: 0.9, beta2: 0.999, eps: 1e-8 };

/**
 * Adam as torch.optim.Adam computes it with weight decay 0: m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
 * p ← p − (lr/(1−β1^t))·m / (√v/√(1−β2^t) + ε). Its moments cover only `ranges` (the tensors that ever
 * train, packed in order), so a frozen ViT-B/16 costs no optimizer memory. A group with lr 0 is not stepped.
 */
export class Adam {
  readonly m: Float32Array;
  readonly v: Float32Array;
  private t = 0;
  private readonly packed: { start: number; end: number; at: number }[];

  constructor(
    readonly ranges: readonly { start: number; end: number }[],
    readonly options: AdamOptions = DEFAULT_ADAM,
  ) {
    let at = 0;
    this.packed = ranges.map((r) => {
      const p = { ...r, at };
      at += r.end - r.start;
      return p;
    });
    this.m = new Float32Array(at);
    this.v = new Float32Array(at);
  }

  get steps(): number {
    return this.t;
  }

  /** Restores the optimizer from a checkpoint: both moments (packed) and the step count. */
  load(m: Float32Array, v: Float32Array, steps: number): void {
    if (m.length !== this.m.length || v.length !== this.v.length)
      throw new Error(`Adam.load: moments of ${m.length}/${v.length} values, expected ${this.m.length}`);
    this.m.set(m);
    this.v.set(v);
    this.t = steps;
  }

  step(params: Float32Array, grads: Float32Array, groups: readonly ParamGroup[]): void {
    const { beta1, beta2, eps } = this.options;
    this.t++;
    const c1 = 1 - beta1 ** this.t;
    const c2 = Math.sqrt(1 - beta2 ** this.t);
    const { m, v } = this;
    for (const { start, end, lr } of groups) {
      if (lr === 0) continue;
      const range = this.packed.find((r) => r.start <= start && end <= r.end);
      if (!range) throw new Error(`Adam.step: parameters [${start}, ${end}) are outside its ranges`);
      const stepSize = lr / c1;
      for (let i = start; i < end; i++) {
        const j = range.at + i - range.start;
        const g = grads[i];
        m[j] = beta1 * m[j] + (1 - beta1) * g;
        v[j] = beta2 * v[j] + (1 - beta2) * g * g;
        params[i] -= (stepSize * m[j]) / (Math.sqrt(v[j]) / c2 + eps);
      }
    }
  }
}
