import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IMAGENET_MEAN, IMAGENET_STD } from '@slca/data';
import { DEFAULT_ALIGNMENT } from '../slca/alignment';
import { applyMethod, type ExperimentConfig, type Method } from '../slca/config';
import { VIT_PRESETS, type VitArch } from '@slca/compute';
import { loadBackbone, WeightsError } from '../weights/vit-weights';

/**
 * The embedded default: Split Emoji (30 emoji sub-categories, Noto renditions for training, Twemoji for
 * testing, 10 tasks of 3 classes) on a small ViT pre-trained by `slca pretrain` on other emoji.
 */
export const EMBEDDED_ARCH = VIT_PRESETS['vit-emoji'];
export const IMAGENET_NORMALIZE = {
  mean: [...IMAGENET_MEAN] as [number, number, number],
  std: [...IMAGENET_STD] as [number, number, number],
};

/** Where the shipped assets live: next to the sources, or SLCA_ASSETS_DIR in a packaged app. */
export function assetsDir(): string {
  const fromEnv = process.env['SLCA_ASSETS_DIR'];
  if (fromEnv) return fromEnv;
  const candidates = [join(__dirname, '..', '..', 'assets'), join(__dirname, 'assets')];
  return candidates.find((d) => existsSync(d)) ?? candidates[0];
}

export const EMBEDDED_BACKBONE_FILE = 'vit-emoji-pretrained.safetensors';

export function embeddedBackbonePath(): string {
  return join(assetsDir(), EMBEDDED_BACKBONE_FILE);
}

export function embeddedConfig(
  method: Method,
  seed: number,
  overrides: { workers?: number; backend?: ExperimentConfig['compute']['backend'] } = {},
): ExperimentConfig {
  const base: ExperimentConfig = {
    method,
    seed,
    arch: { ...EMBEDDED_ARCH },
    initClasses: 3,
    increment: 3,
    stage1: {
      epochs: 10,
      milestones: [8],
      gamma: 0.1,
      batchSize: 32,
      lr: 0.01,
      backboneLrScale: 0.01,
      momentum: 0.9,
      weightDecay: 5e-4,
      freshFinalNorm: true,
      augment: { flipProb: 0.5, maxShift: 3 },
    },
    alignment: { ...DEFAULT_ALIGNMENT, tau: 0.1 },
    restoreHeadsAfterEval: true,
    covarianceRidge: 1e-4,
    compute: {
      backend: overrides.backend ?? 'auto',
      workers: overrides.workers ?? 2,
      shards: 2,
      featureChunk: 64,
    },
    normalize: IMAGENET_NORMALIZE,
  };
  const cfg = applyMethod(base, method);
  // RanPAC's projection at 8 × the feature width (the reference: 10000 for ViT-B/16's 768), so the ridge
  // system stays small enough for a CPU in seconds.
  if (cfg.ranpac) cfg.ranpac = { ...cfg.ranpac, projectionDim: 8 * EMBEDDED_ARCH.dim };
  if (method === 'slcapp' && cfg.slcapp) {
    // The reference's recipe at the embedded scale: the trained backbone tensors (norms, biases, CLS, LoRA
    // after the first task) at 0.1 × the head's lr, the cosine floor at lr × 0.1 × 0.1^len(milestones).
    cfg.stage1 = { ...cfg.stage1, backboneLrScale: 0.1 };
    cfg.slcapp = { ...cfg.slcapp, minLr: cfg.stage1.lr * 0.1 * 0.1 ** cfg.stage1.milestones.length };
  }
  if (cfg.dualprompt) {
    // The reference's E-prompt blocks 2–4 that exist in the 4-block embedded ViT: 2 and 3.
    const { eLayers } = cfg.dualprompt;
    cfg.dualprompt = { ...cfg.dualprompt, eLayers: eLayers.filter((l) => l < EMBEDDED_ARCH.depth) };
  }
  if (method === 'joint') {
    // The upper bound sees every class at once, so its backbone may move faster and train longer
    // without anything to forget; at the sequential recipe it trails SLCA (as the PyTorch trial showed).
    cfg.stage1 = { ...cfg.stage1, epochs: 20, milestones: [15], backboneLrScale: 0.1 };
  }
  return cfg;
}

export const EMBEDDED_RECIPE_FILE = 'vit-emoji-pretrained.json';

/** The record shipped beside the embedded checkpoint: how it was made and what it must hash to. */
export interface BackboneRecord {
  file: string;
  sha256: string;
  arch: VitArch;
  command: string;
  recipe: unknown;
  /** Stage 1 (contrastive pre-training) when the recipe has one: its recipe, data and time. */
  contrastive?: unknown;
  data: unknown;
  probe: {
    ncmPretrained: number;
    ncmRandomInit: number;
    ncmRawPixels: number;
    ncmAfterStage1?: number;
    protocol: string;
  };
  backend: string;
  wallSeconds: number;
}

export function embeddedRecordPath(): string {
  return join(assetsDir(), EMBEDDED_RECIPE_FILE);
}

/** Loads the shipped backbone after checking it against the digest in its record. */
export async function loadEmbeddedBackbone(): Promise<{ values: Float32Array; record: BackboneRecord }> {
  const recordPath = embeddedRecordPath();
  if (!existsSync(recordPath) || !existsSync(embeddedBackbonePath())) {
    throw new WeightsError(
      `the embedded backbone is missing (${embeddedBackbonePath()}); recreate it with: npm run slca -- pretrain --install`,
    );
  }
  const record = JSON.parse(readFileSync(recordPath, 'utf8')) as BackboneRecord;
  const bytes = readFileSync(embeddedBackbonePath());
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (digest !== record.sha256) {
    throw new WeightsError(
      `${embeddedBackbonePath()}: SHA-256 ${digest} does not match ${record.sha256} recorded in ${recordPath}`,
    );
  }
  const { values } = await loadBackbone(embeddedBackbonePath(), EMBEDDED_ARCH);
  return { values, record };
}
