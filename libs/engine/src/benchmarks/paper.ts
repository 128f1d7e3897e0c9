import {
  CIFAR100_MEAN,
  CIFAR100_STD,
  IMAGENET_MEAN,
  IMAGENET_STD,
  scaleTransforms,
  type TransformStep,
} from '@slca/data';
import { DEFAULT_ALIGNMENT } from '../slca/alignment';
import { applyMethod, type ExperimentConfig, type Method } from '../slca/config';
import { VIT_PRESETS, type VitArch } from '@slca/compute';

/**
 * The paper's setup (docs/method.md §5, §8, §13) as data: one versioned configuration per benchmark ×
 * pre-training × method, each with the number the paper publishes for it. Bump `PAPER_CONFIG_VERSION`
 * whenever a value here changes, so a result always names the configuration that produced it.
 */
export const PAPER_CONFIG_VERSION = 3;
export const PAPER_SEEDS = [1993, 1996, 1997] as const;
export const PAPER_BENCHMARKS = ['cifar100', 'imagenet-r', 'cub200', 'cars196'] as const;
export type PaperBenchmark = (typeof PAPER_BENCHMARKS)[number];
export const PAPER_BACKBONES = ['in21k', 'mocov3'] as const;
export type PaperBackbone = (typeof PAPER_BACKBONES)[number];
/** Methods with a row in the paper's table that this platform implements. */
export const PAPER_METHODS = [
  'seqft',
  'sl',
  'slca',
  'slcapp',
  'joint',
  'l2p',
  'dualprompt',
  'simplecil',
  'ranpac',
] as const satisfies readonly Method[];
export type PaperMethod = (typeof PAPER_METHODS)[number];

type Rgb = [number, number, number];
const IMAGENET: { mean: Rgb; std: Rgb } = { mean: [...IMAGENET_MEAN], std: [...IMAGENET_STD] };
const CIFAR100: { mean: Rgb; std: Rgb } = { mean: [...CIFAR100_MEAN], std: [...CIFAR100_STD] };

/** One step of a torchvision-style pipeline, bicubic throughout (docs/method.md §5.2); in libs/data. */
export type { TransformStep };

export interface PaperBenchmarkSetup {
  title: string;
  classes: number;
  initClasses: number;
  increment: number;
  /** Task sizes that init/increment give (docs/method.md §3.3), for the reader's check. */
  tasks: string;
  official: { train: number; test: number };
  train: TransformStep[];
  test: TransformStep[];
  normalize: { mean: Rgb; std: Rgb };
  /** Logit-normalisation temperature of the alignment stage (docs/method.md §8 table). */
  tau: number;
  stage1: Record<PaperBackbone, { epochs: number; milestones: number[] }>;
}

const RRC: TransformStep = { op: 'random-resized-crop', size: 224, scale: [0.08, 1], ratio: [3 / 4, 4 / 3] };
const TEST: TransformStep[] = [
  { op: 'resize', size: 256 },
  { op: 'center-crop', size: 224 },
];
const FINE_GRAINED_TRAIN: TransformStep[] = [
  { op: 'resize', size: [300, 300] },
  { op: 'random-crop', size: 224 },
  { op: 'hflip', p: 0.5 },
];
const IN21K_50 = { epochs: 50, milestones: [40] };
const MOCO = { epochs: 90, milestones: [80] };

export const PAPER_SETUP: Record<PaperBenchmark, PaperBenchmarkSetup> = {
  cifar100: {
    title: 'Split CIFAR-100',
    classes: 100,
    initClasses: 10,
    increment: 10,
    tasks: '10×10',
    official: { train: 50_000, test: 10_000 },
    train: [RRC, { op: 'hflip', p: 0.5 }, { op: 'brightness-jitter', brightness: 63 / 255 }],
    test: TEST,
    normalize: CIFAR100,
    tau: 0.1,
    stage1: { in21k: { epochs: 20, milestones: [18] }, mocov3: MOCO },
  },
  'imagenet-r': {
    title: 'Split ImageNet-R',
    classes: 200,
    initClasses: 20,
    increment: 20,
    tasks: '10×20',
    official: { train: 24_000, test: 6_000 },
    train: [RRC, { op: 'hflip', p: 0.5 }],
    test: TEST,
    normalize: IMAGENET,
    tau: 0.1,
    stage1: { in21k: IN21K_50, mocov3: MOCO },
  },
  cub200: {
    title: 'Split CUB-200',
    classes: 200,
    initClasses: 20,
    increment: 20,
    tasks: '10×20',
    official: { train: 5_994, test: 5_794 },
    train: FINE_GRAINED_TRAIN,
    test: TEST,
    normalize: IMAGENET,
    tau: 0.1,
    stage1: { in21k: IN21K_50, mocov3: MOCO },
  },
  cars196: {
    title: 'Split Cars-196',
    classes: 196,
    initClasses: 20,
    increment: 20,
    tasks: '9×20+16',
    official: { train: 8_144, test: 8_041 },
    train: FINE_GRAINED_TRAIN,
    test: TEST,
    normalize: IMAGENET,
    tau: 0.05,
    stage1: { in21k: IN21K_50, mocov3: MOCO },
  },
};

/** A published Last-Acc / Inc-Acc (%), mean ± std over 3 seeds where the paper gives them. */
export interface PublishedNumber {
  lastAcc: number;
  lastAccStd?: number;
  incAcc?: number;
  incAccStd?: number;
  /** The table gives "≈" (Seq FT). */
  approximate?: boolean;
  source: string;
}

const PAPER_IN21K = 'SLCA paper (ICCV 2023), ViT-B/16 IN21K';
const SLCAPP_IN21K = 'SLCA++ paper (arXiv 2408.08295), ViT-B/16 IN21K, SLCA’s protocol';
/** RanPAC's row beside SLCA and SLCA++ (docs/method.md §13): Last-Acc and Inc-Acc, no spread published. */
const RANPAC_IN21K =
  'RanPAC under SLCA’s protocol (ViT-B/16 IN21K, 10 tasks), as docs/method.md §13 lists it';

/**
 * The published results (docs/method.md §13) for the methods implemented here. A missing entry is a "–"
 * in the table; the paper publishes no MoCo v3 numbers, so those configurations run without a reference.
 */
export const PUBLISHED: Record<
  PaperBackbone,
  Partial<Record<PaperBenchmark, Partial<Record<PaperMethod, PublishedNumber>>>>
> = {
  in21k: {
    cifar100: {
      seqft: { lastAcc: 41.8, approximate: true, source: PAPER_IN21K },
      sl: { lastAcc: 88.86, incAcc: 92.01, source: PAPER_IN21K },
      slca: { lastAcc: 91.53, lastAccStd: 0.28, incAcc: 94.09, incAccStd: 0.87, source: PAPER_IN21K },
      slcapp: { lastAcc: 91.46, lastAccStd: 0.18, incAcc: 94.2, incAccStd: 0.71, source: SLCAPP_IN21K },
      joint: { lastAcc: 93.22, source: PAPER_IN21K },
      l2p: { lastAcc: 82.76, lastAccStd: 1.17, incAcc: 88.48, incAccStd: 0.83, source: PAPER_IN21K },
      dualprompt: { lastAcc: 85.56, lastAccStd: 0.33, incAcc: 90.33, incAccStd: 0.33, source: PAPER_IN21K },
      ranpac: { lastAcc: 91.09, incAcc: 94.03, source: RANPAC_IN21K },
    },
    'imagenet-r': {
      seqft: { lastAcc: 27.0, approximate: true, source: PAPER_IN21K },
      sl: { lastAcc: 71.8, incAcc: 76.84, source: PAPER_IN21K },
      slca: { lastAcc: 77.0, lastAccStd: 0.33, incAcc: 81.17, incAccStd: 0.64, source: PAPER_IN21K },
      slcapp: { lastAcc: 78.09, lastAccStd: 0.22, incAcc: 82.95, incAccStd: 0.78, source: SLCAPP_IN21K },
      joint: { lastAcc: 79.6, source: PAPER_IN21K },
      l2p: { lastAcc: 66.49, lastAccStd: 0.4, incAcc: 72.83, incAccStd: 0.56, source: PAPER_IN21K },
      dualprompt: { lastAcc: 68.5, lastAccStd: 0.52, incAcc: 72.59, incAccStd: 0.24, source: PAPER_IN21K },
      ranpac: { lastAcc: 75.28, incAcc: 80.66, source: RANPAC_IN21K },
    },
    cub200: {
      seqft: { lastAcc: 40.0, approximate: true, source: PAPER_IN21K },
      slca: { lastAcc: 84.71, lastAccStd: 0.4, incAcc: 90.94, incAccStd: 0.68, source: PAPER_IN21K },
      slcapp: { lastAcc: 86.59, lastAccStd: 0.29, incAcc: 91.63, incAccStd: 0.72, source: SLCAPP_IN21K },
      l2p: { lastAcc: 62.21, lastAccStd: 1.92, incAcc: 73.83, incAccStd: 1.67, source: PAPER_IN21K },
      dualprompt: { lastAcc: 66.0, lastAccStd: 0.57, incAcc: 77.92, incAccStd: 0.5, source: PAPER_IN21K },
      ranpac: { lastAcc: 87.88, incAcc: 92.57, source: RANPAC_IN21K },
    },
    cars196: {
      seqft: { lastAcc: 27.6, approximate: true, source: PAPER_IN21K },
      slca: { lastAcc: 67.73, lastAccStd: 0.85, incAcc: 76.93, incAccStd: 1.21, source: PAPER_IN21K },
      slcapp: { lastAcc: 73.97, lastAccStd: 0.22, incAcc: 79.49, incAccStd: 0.8, source: SLCAPP_IN21K },
      joint: { lastAcc: 80.31, source: PAPER_IN21K },
      l2p: { lastAcc: 38.18, lastAccStd: 2.33, incAcc: 51.79, incAccStd: 4.19, source: PAPER_IN21K },
      dualprompt: { lastAcc: 40.14, lastAccStd: 2.36, incAcc: 56.74, incAccStd: 1.78, source: PAPER_IN21K },
      ranpac: { lastAcc: 61.43, incAcc: 72.36, source: RANPAC_IN21K },
    },
  },
  mocov3: {},
};

export interface PaperConfiguration {
  /** e.g. `cifar100/in21k/slca@v3`. */
  id: string;
  version: number;
  benchmark: PaperBenchmark;
  backbone: PaperBackbone;
  method: PaperMethod;
  setup: PaperBenchmarkSetup;
  /** What the paper reports for this row, or null where it reports nothing. */
  published: PublishedNumber | null;
}

export function paperConfigurationId(
  benchmark: PaperBenchmark,
  backbone: PaperBackbone,
  method: PaperMethod,
) {
  return `${benchmark}/${backbone}/${method}@v${PAPER_CONFIG_VERSION}`;
}

/** Every row: 4 benchmarks × 2 pre-trainings × every paper method (PAPER_METHODS). */
export function paperConfigurations(): PaperConfiguration[] {
  return PAPER_BENCHMARKS.flatMap((benchmark) =>
    PAPER_BACKBONES.flatMap((backbone) =>
      PAPER_METHODS.map((method) => ({
        id: paperConfigurationId(benchmark, backbone, method),
        version: PAPER_CONFIG_VERSION,
        benchmark,
        backbone,
        method,
        setup: PAPER_SETUP[benchmark],
        published: PUBLISHED[backbone][benchmark]?.[method] ?? null,
      })),
    ),
  );
}

/**
 * The ExperimentConfig of one row (docs/method.md §8/§10): ViT-B/16 at 224, SGD momentum 0.9, wd 5e-4,
 * batch 128, head lr 0.01 and backbone lr 1e-4 (Seq FT: 0.01 everywhere), MultiStep γ 0.1, a fresh final
 * LayerNorm; alignment 5 epochs, 256 samples per class, batches of 256, lr 0.01, τ per benchmark.
 * Stage 1 augments every batch with the benchmark's training pipeline (`PAPER_SETUP[b].train`, scaled to
 * the backbone's input size), so the data must be loaded at source size (`loadManifestSource`).
 */
export function paperConfig(
  benchmark: PaperBenchmark,
  backbone: PaperBackbone,
  method: PaperMethod,
  seed: number,
  compute: Partial<ExperimentConfig['compute']> = {},
  arch: VitArch = VIT_PRESETS['vit-b16'],
): ExperimentConfig {
  const setup = PAPER_SETUP[benchmark];
  const base: ExperimentConfig = {
    method,
    seed,
    arch: { ...arch },
    initClasses: setup.initClasses,
    increment: setup.increment,
    stage1: {
      epochs: setup.stage1[backbone].epochs,
      milestones: [...setup.stage1[backbone].milestones],
      gamma: 0.1,
      batchSize: 128,
      lr: 0.01,
      backboneLrScale: 0.01,
      momentum: 0.9,
      weightDecay: 5e-4,
      freshFinalNorm: true,
      augment: { transforms: scaleTransforms(setup.train, arch.imageSize) },
    },
    // The reference code's class → task rule in the mean shrinkage (see AlignmentOptions.meanShrinkTask).
    alignment: { ...DEFAULT_ALIGNMENT, tau: setup.tau, meanShrinkTask: 'reference' },
    restoreHeadsAfterEval: true,
    covarianceRidge: 1e-4,
    compute: { backend: 'auto', workers: 0, shards: 1, featureChunk: 64, ...compute },
    normalize: { mean: [...setup.normalize.mean], std: [...setup.normalize.std] },
  };
  const cfg = applyMethod(base, method);
  if (method === 'slcapp') applySlcappRecipe(cfg, benchmark, backbone);
  if (method === 'l2p' || method === 'dualprompt') applyPromptRecipe(cfg, method === 'l2p' ? 16 : 24);
  return cfg;
}

/**
 * The prompt methods' recipe (LAMDA-PILOT `exps/l2p.json`, `exps/dualprompt.json`): 5 epochs, batches of
 * 16 (L2P) or 24 (DualPrompt), Adam at a constant rate (in the method's own settings), the benchmark's
 * training pipeline, the pre-trained model's own final norm.
 */
function applyPromptRecipe(cfg: ExperimentConfig, batchSize: number): void {
  cfg.stage1 = { ...cfg.stage1, epochs: 5, milestones: [], batchSize };
}

/**
 * SLCA++'s values from the reference's `exps/slcapp/slcapp_<benchmark>_lora[_mocov3].json` and
 * `models/slca_pp.py`: symmetric-CE weights and weight decay per benchmark, backbone tensors at 0.1 × the
 * head's lr (bcb_lrscale), MoCo v3 milestones [60, 80] (they set the cosine floor), the cosine floor
 * lr × bcb_lrscale × 0.1^len(milestones), and alignment at the same weight decay as stage 1 (the reference
 * shares one global).
 */
const SLCAPP_PAPER: Record<PaperBenchmark, { sceA: number; sceB: number; weightDecay: number }> = {
  cifar100: { sceA: 1, sceB: 0.1, weightDecay: 5e-4 },
  'imagenet-r': { sceA: 0.5, sceB: 0.5, weightDecay: 0 },
  cub200: { sceA: 1, sceB: 0.1, weightDecay: 5e-4 },
  cars196: { sceA: 0.5, sceB: 0.5, weightDecay: 0 },
};

function applySlcappRecipe(cfg: ExperimentConfig, benchmark: PaperBenchmark, backbone: PaperBackbone): void {
  const recipe = SLCAPP_PAPER[benchmark];
  const milestones = backbone === 'mocov3' ? [60, 80] : cfg.stage1.milestones;
  cfg.stage1 = { ...cfg.stage1, milestones, backboneLrScale: 0.1, weightDecay: recipe.weightDecay };
  if (cfg.alignment) cfg.alignment = { ...cfg.alignment, weightDecay: recipe.weightDecay };
  if (!cfg.slcapp) throw new Error('slcapp: configure left no slcapp settings');
  cfg.slcapp = {
    ...cfg.slcapp,
    sceA: recipe.sceA,
    sceB: recipe.sceB,
    minLr: cfg.stage1.lr * 0.1 * 0.1 ** milestones.length,
  };
}

/**
 * A benchmark's test transform (docs/method.md §5.2: Resize 256 → CenterCrop 224) for a backbone taking
 * `size` px, scaled by size/224 (ViT-B/16: exactly 256 → 224): what evaluation and class statistics see.
 */
export function paperTestTransform(
  benchmark: PaperBenchmark,
  size: number,
): { resize: number; crop: number } {
  const steps = scaleTransforms(PAPER_SETUP[benchmark].test, size);
  const resize = steps.find((s) => s.op === 'resize');
  const crop = steps.find((s) => s.op === 'center-crop');
  if (resize?.op !== 'resize' || typeof resize.size !== 'number' || crop?.op !== 'center-crop')
    throw new Error(`${benchmark}: the test transform is not Resize(int) → CenterCrop`);
  return { resize: resize.size, crop: size };
}
