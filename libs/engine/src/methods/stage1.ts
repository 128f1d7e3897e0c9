import type { ModelSpec, ParamLayout, VitArch } from '@slca/compute';
import type { Stage1Options } from '../slca/config';
import type { Stage1Plan } from './method';

/**
 * The model a task's stage 1 trains, as the runner and the bench install it: with a method's plan, the
 * tensors it gives a learning rate in some epoch, its loss and its LoRA; without one, the whole backbone
 * (unless its learning rate is 0) and the head on cross-entropy.
 */
export function stage1ModelSpec(
  plan: Stage1Plan | null,
  layout: ParamLayout,
  model: { arch: VitArch; finalNormEps: number },
  stage1: Pick<Stage1Options, 'epochs' | 'backboneLrScale'>,
): ModelSpec {
  const base = { arch: model.arch, layout: layout.toJSON(), finalNormEps: model.finalNormEps };
  if (!plan) return { ...base, trainBackbone: stage1.backboneLrScale > 0 };
  return {
    ...base,
    trainBackbone: true,
    trainable: layout.slots
      .filter((slot) => [...Array(stage1.epochs).keys()].some((e) => plan.lr(slot.name, e) > 0))
      .map((slot) => slot.name),
    ...(plan.objective && { objective: plan.objective }),
    ...(plan.lora && { lora: plan.lora }),
    ...(plan.prompt && { prompt: plan.prompt }),
  };
}
