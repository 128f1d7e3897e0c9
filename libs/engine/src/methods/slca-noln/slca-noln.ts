import { DEFAULT_ALIGNMENT } from '../../slca/alignment';
import { fineTuningMethod } from '../fine-tuning';

/** The ablation of SLCA without logit normalisation in the alignment loss (docs/method.md §10.2). */
export const SLCA_NOLN = fineTuningMethod({
  id: 'slca-noln',
  label: 'SLCA w/o logit norm',
  description: 'SLCA without logit normalisation (ablation)',
  alignmentRequired: true,
  configure: (base) => {
    const cfg = structuredClone(base);
    cfg.method = 'slca-noln';
    cfg.alignment = { ...(base.alignment ?? DEFAULT_ALIGNMENT), logitNorm: false };
    return cfg;
  },
  issues: (config) =>
    config.alignment?.logitNorm
      ? [
          {
            path: 'alignment.logitNorm',
            message: 'method slca-noln has logitNorm false; choose the method instead',
          },
        ]
      : [],
});
