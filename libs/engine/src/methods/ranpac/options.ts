import { z } from 'zod';

/** RanPAC's settings (`ranpac` in the experiment; docs/methods.md). */
export interface RanpacOptions {
  /**
   * M, the width of the random projection h = ReLU(f · W), W ~ N(0, 1) of [dim, M] drawn from the run's
   * seed (the reference: 10000 for ViT-B/16). 0 turns the projection off (the reference's M = 0: ridge
   * regression on the features themselves, "decorrelation only").
   */
  projectionDim: number;
  /**
   * First-session adaptation: stage 1 (`stage1` settings) at the first task only, then the backbone stays
   * frozen and stage 1's head is discarded. The reference adapts with a PETL module (adapter, SSF, VPT);
   * this platform has none, so the adaptation fine-tunes the backbone itself at `stage1`'s learning rates.
   */
  firstSessionAdaptation: boolean;
  /** The λ candidates (the reference: 10^-8 … 10^8); the best on held-out training features is used. */
  ridges: number[];
  /** The share of a task's shuffled training features the candidates are fitted on (the reference: 0.8). */
  fitFraction: number;
}

/** The reference's grid: `10.0 ** np.arange(-8, 9)`. */
export const REFERENCE_RIDGES: readonly number[] = Array.from({ length: 17 }, (_, i) => Number(`1e${i - 8}`));

export const DEFAULT_RANPAC: RanpacOptions = {
  projectionDim: 10000,
  firstSessionAdaptation: true,
  ridges: [...REFERENCE_RIDGES],
  fitFraction: 0.8,
};

export const ranpacOptionsSchema = z.strictObject({
  projectionDim: z.number().int().nonnegative(),
  firstSessionAdaptation: z.boolean(),
  ridges: z.array(z.number().finite().positive()).min(1),
  fitFraction: z.number().gt(0).lt(1),
});
