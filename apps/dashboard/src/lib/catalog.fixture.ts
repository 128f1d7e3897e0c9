import type { Catalog } from './catalog';

/*
 * A catalogue as the trainer's GetCatalog answers it (trimmed to two benchmarks), for the unit tests: the
 * embedded configuration has no published number, the CIFAR-100 ones have the paper's (with and without
 * std, one approximate, one without Inc-Acc).
 */
export const EMBEDDED_SLCA = {
  schema: 'slca.experiment/v1',
  configuration: { id: 'embedded/vit-emoji/slca@v1', version: 1 },
  benchmark: 'embedded',
  dataset: 'split-emoji',
  backbone: 'vit-emoji',
  testTransform: null,
  method: 'slca',
  seed: 1993,
  arch: { imageSize: 32, patchSize: 8, dim: 128, depth: 4, heads: 4, mlpDim: 512 },
  initClasses: 3,
  increment: 3,
  stage1: { epochs: 10, milestones: [8], lr: 0.01, augment: { flipProb: 0.5, maxShift: 3 } },
  alignment: { epochs: 5, tau: 0.1, logitNorm: true, meanShrink: true },
  compute: { backend: 'auto', workers: 2, shards: 2, featureChunk: 64 },
  normalize: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
};

const cifar = (method: string, alignment: unknown) => ({
  schema: 'slca.experiment/v1',
  configuration: { id: `cifar100/in21k/${method}@v3`, version: 3 },
  benchmark: 'cifar100',
  dataset: 'cifar100',
  backbone: 'in21k',
  testTransform: { resize: 256, crop: 224 },
  method,
  seed: 1993,
  arch: { imageSize: 224, patchSize: 16, dim: 768, depth: 12, heads: 12, mlpDim: 3072 },
  initClasses: 10,
  increment: 10,
  stage1: { epochs: 20, milestones: [18], lr: 0.01 },
  alignment,
  compute: { backend: 'auto', workers: 0, shards: 1, featureChunk: 64 },
});

export const CIFAR_SLCA = cifar('slca', { epochs: 5, tau: 0.1, logitNorm: true, meanShrink: true });

const SOURCE = 'SLCA paper (ICCV 2023), ViT-B/16 IN21K';

export const CATALOG: Catalog = {
  methods: [
    { id: 'seqft', label: 'Seq FT', description: 'sequential fine-tuning' },
    { id: 'sl', label: 'Slow Learner', description: 'Slow Learner' },
    { id: 'slca', label: 'SLCA', description: 'Slow Learner + classifier alignment' },
    { id: 'joint', label: 'Joint (upper bound)', description: 'every class as one task' },
  ],
  benchmarks: [
    {
      id: 'embedded',
      title: 'Split Emoji (embedded)',
      classes: 30,
      initClasses: 3,
      increment: 3,
      defaultDataset: 'split-emoji',
      backbones: ['vit-emoji'],
      methods: ['seqft', 'sl', 'slca', 'joint'],
    },
    {
      id: 'cifar100',
      title: 'Split CIFAR-100',
      classes: 100,
      initClasses: 10,
      increment: 10,
      defaultDataset: 'cifar100',
      backbones: ['in21k', 'mocov3'],
      methods: ['seqft', 'sl', 'slca', 'joint'],
    },
  ],
  configurations: [
    {
      id: 'embedded/vit-emoji/slca@v1',
      version: 1,
      benchmark: 'embedded',
      backbone: 'vit-emoji',
      method: 'slca',
      published: undefined,
      experimentJson: JSON.stringify(EMBEDDED_SLCA),
    },
    {
      id: 'cifar100/in21k/seqft@v3',
      version: 3,
      benchmark: 'cifar100',
      backbone: 'in21k',
      method: 'seqft',
      published: {
        lastAcc: 41.8,
        lastAccStd: -1,
        incAcc: -1,
        incAccStd: -1,
        approximate: true,
        source: SOURCE,
      },
      experimentJson: JSON.stringify(cifar('seqft', null)),
    },
    {
      id: 'cifar100/in21k/sl@v3',
      version: 3,
      benchmark: 'cifar100',
      backbone: 'in21k',
      method: 'sl',
      published: {
        lastAcc: 88.86,
        lastAccStd: -1,
        incAcc: 92.01,
        incAccStd: -1,
        approximate: false,
        source: SOURCE,
      },
      experimentJson: JSON.stringify(cifar('sl', null)),
    },
    {
      id: 'cifar100/in21k/slca@v3',
      version: 3,
      benchmark: 'cifar100',
      backbone: 'in21k',
      method: 'slca',
      published: {
        lastAcc: 91.53,
        lastAccStd: 0.28,
        incAcc: 94.09,
        incAccStd: 0.87,
        approximate: false,
        source: SOURCE,
      },
      experimentJson: JSON.stringify(CIFAR_SLCA),
    },
    {
      id: 'cifar100/mocov3/slca@v3',
      version: 3,
      benchmark: 'cifar100',
      backbone: 'mocov3',
      method: 'slca',
      published: undefined,
      experimentJson: JSON.stringify({
        ...CIFAR_SLCA,
        configuration: { id: 'cifar100/mocov3/slca@v3', version: 3 },
        backbone: 'mocov3',
      }),
    },
  ],
};
