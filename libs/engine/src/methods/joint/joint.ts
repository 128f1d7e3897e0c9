import { fineTuningMethod } from '../fine-tuning';

/** Joint training: every class as one task, the upper bound of the paper's table. */
export const JOINT = fineTuningMethod({
  id: 'joint',
  label: 'Joint (upper bound)',
  description: 'every class as one task (upper bound)',
  singleTask: true,
  configure: (base) => {
    const cfg = structuredClone(base);
    cfg.method = 'joint';
    cfg.alignment = null;
    return cfg;
  },
});
