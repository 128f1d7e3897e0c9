/**
 * SGD with momentum and coupled (L2) weight decay, as torch.optim.SGD computes it with dampening 0 and no
 * Nesterov: d = g + wd·p; buf = μ·buf + d (buf starts at d); p = p − lr·buf. Runs in place on flat
 * float32 buffers, one learning rate per contiguous parameter group.
 */
export interface ParamGroup {
  /** Half-open range [start, end) in the flat buffer. */
  start: number;
  end: number;
  lr: number;
}

export interface SgdOptions {
  momentum: number;
  weightDecay: number;
}

export class Sgd {
  readonly momentumBuffer: Float32Array;
  private started = false;

  constructor(
    readonly size: number,
    readonly options: SgdOptions,
  ) {
    this.momentumBuffer = new Float32Array(size);
  }

  /** Restores the optimizer from a checkpoint (momentum buffer and whether a step has been taken). */
  load(buffer: Float32Array, started: boolean): void {
    if (buffer.length !== this.size)
      throw new Error(`Sgd.load: buffer has ${buffer.length} values, expected ${this.size}`);
    this.momentumBuffer.set(buffer);
    this.started = started;
  }

  get hasStepped(): boolean {
    return this.started;
  }

  step(params: Float32Array, grads: Float32Array, groups: readonly ParamGroup[]): void {
    if (params.length !== this.size || grads.length !== this.size) {
      throw new Error(`Sgd.step: expected ${this.size} parameters and gradients`);
    }
    const { momentum, weightDecay } = this.options;
    const buf = this.momentumBuffer;
    for (const { start, end, lr } of groups) {
      if (lr === 0) continue; // a frozen group is not stepped, as PyTorch skips params with requires_grad=False
      for (let i = start; i < end; i++) {
        const d = grads[i] + weightDecay * params[i];
        const b = this.started ? momentum * buf[i] + d : d;
        buf[i] = b;
        params[i] -= lr * b;
      }
    }
    this.started = true;
  }
}

/** torch.optim.lr_scheduler.MultiStepLR stepped per epoch: lr at epoch e (0-based). */
export function multiStepLr(
  baseLr: number,
  epoch: number,
  milestones: readonly number[],
  gamma: number,
): number {
  const passed = milestones.filter((m) => epoch >= m).length;
  return baseLr * gamma ** passed;
}

/** torch.optim.lr_scheduler.CosineAnnealingLR (eta_min 0) stepped per epoch: lr at epoch e of tMax. */
export function cosineLr(baseLr: number, epoch: number, tMax: number): number {
  return (baseLr * (1 + Math.cos((Math.PI * epoch) / tMax))) / 2;
}
