import { fineTuningMethod } from '../fine-tuning';

/** Sequential fine-tuning (docs/method.md §8): the backbone at the head's learning rate; the lower bound. */
export const SEQFT = fineTuningMethod({
  id: 'seqft',
  label: 'Seq FT',
  description: 'sequential fine-tuning: the backbone at the head’s learning rate, no alignment (lower bound)',
  configure: (base) => {
    const cfg = structuredClone(base);
    cfg.method = 'seqft';
    cfg.stage1.backboneLrScale = 1;
    cfg.alignment = null;
    return cfg;
  },
});
