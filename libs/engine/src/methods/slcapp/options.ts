import { z } from 'zod';

/** SLCA++'s settings (`slcapp` in the experiment; docs/methods.md). */
export interface SlcappOptions {
  /** LoRA rank r on every block's qkv weight (the reference: 4). */
  loraRank: number;
  /** LoRA scale s: W + s·A·B (the reference: 0.8). */
  loraScale: number;
  /**
   * LoRA's learning rate at the first task, × stage1.lr (the reference: 0.5, i.e. 5e-3); from the second
   * task on LoRA trains at stage1.lr × stage1.backboneLrScale like the other backbone tensors.
   */
  firstTaskLoraLrScale: number;
  /** Stage 1's loss a·CE + b·RCE (the reference's sce_a, sce_b). */
  sceA: number;
  sceB: number;
  /**
   * Floor of stage 1's cosine schedule, shared by every group as PyTorch's CosineAnnealingLR shares
   * eta_min (the reference: lr × bcb_lrscale × 0.1^len(milestones)).
   */
  minLr: number;
  /** μ of the feature scaling in alignment and of the old heads' scaling at inference (fc_scale_mu). */
  featureScaleMu: number;
  /** Width of the per-sample draw s ~ U(μ − w/2, μ + w/2) in alignment (the reference: 0.02). */
  featureScaleSpread: number;
}

export const DEFAULT_SLCAPP: SlcappOptions = {
  loraRank: 4,
  loraScale: 0.8,
  firstTaskLoraLrScale: 0.5,
  sceA: 1,
  sceB: 0.1,
  minLr: 1e-4,
  featureScaleMu: 0.02,
  featureScaleSpread: 0.02,
};

export const slcappOptionsSchema = z.strictObject({
  loraRank: z.number().int().positive(),
  loraScale: z.number().finite(),
  firstTaskLoraLrScale: z.number().finite().nonnegative(),
  sceA: z.number().finite().nonnegative(),
  sceB: z.number().finite().nonnegative(),
  minLr: z.number().finite().nonnegative(),
  featureScaleMu: z.number().finite().positive(),
  featureScaleSpread: z.number().finite().nonnegative(),
});
