/**
 * AdamW (decoupled weight decay) as torch.optim.AdamW computes it, in place on flat float32 buffers:
 * p ← p·(1 − lr·wd); m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; p ← p − lr·m̂/(√v̂ + ε).
 * Used for pre-training the embedded backbone from scratch, where plain SGD trains a ViT poorly.
 */
export interface AdamWOptions {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export const DEFAULT_ADAMW: AdamWOptions = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.05 };

export class AdamW {
  readonly m: Float32Array;
  readonly v: Float32Array;
  private t = 0;

  constructor(
    readonly size: number,
    readonly options: AdamWOptions = DEFAULT_ADAMW,
  ) {
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
  }

  get steps(): number {
    return this.t;
  }

  /** `decay[i]` false exempts a parameter from weight decay (norms, biases, tokens). */
  step(params: Float32Array, grads: Float32Array, lr: number, decay?: Uint8Array): void {
    const { beta1, beta2, eps, weightDecay } = this.options;
    this.t++;
    const c1 = 1 - beta1 ** this.t;
    const c2 = 1 - beta2 ** this.t;
    const { m, v } = this;
    for (let i = 0; i < params.length; i++) {
      const g = grads[i];
      if (!decay || decay[i]) params[i] *= 1 - lr * weightDecay;
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      params[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
    }
  }
}
