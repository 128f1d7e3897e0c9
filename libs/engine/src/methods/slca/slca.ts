import { DEFAULT_ALIGNMENT } from '../../slca/alignment';
import { fineTuningMethod } from '../fine-tuning';

/** SLCA (docs/method.md §8–§10): the slow learner, then classifier alignment with logit normalisation. */
export const SLCA = fineTuningMethod({
  id: 'slca',
  label: 'SLCA',
  description: 'Slow Learner + classifier alignment on sampled features with logit normalisation',
  alignmentRequired: true,
  configure: (base) => {
    const cfg = structuredClone(base);
    cfg.method = 'slca';
    cfg.alignment = { ...(base.alignment ?? DEFAULT_ALIGNMENT), logitNorm: true };
    return cfg;
  },
  issues: (config) =>
    config.alignment && !config.alignment.logitNorm
      ? [
          {
            path: 'alignment.logitNorm',
            message: 'method slca has logitNorm true; choose the method instead',
          },
        ]
      : [],
});
