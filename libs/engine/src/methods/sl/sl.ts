import { fineTuningMethod } from '../fine-tuning';

/** The slow learner alone (docs/method.md §8): the backbone at 0.01 × the head's learning rate. */
export const SL = fineTuningMethod({
  id: 'sl',
  label: 'Slow Learner',
  description: 'Slow Learner: the backbone at 0.01 × the head’s learning rate, no alignment',
  configure: (base) => {
    const cfg = structuredClone(base);
    cfg.method = 'sl';
    cfg.alignment = null;
    return cfg;
  },
});
