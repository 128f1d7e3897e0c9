import type { BackendRequest, DeviceRequest, VitArch } from '@slca/compute';
import type { TrainAugment } from '../train/batch-gradient';
import { METHOD_REGISTRY, METHODS, methodDefinition, methodIssues, type Method } from '../methods/registry';
import type { DualPromptOptions } from '../methods/dualprompt/options';
import type { L2pOptions } from '../methods/l2p/options';
import type { RanpacOptions } from '../methods/ranpac/options';
import type { SlcappOptions } from '../methods/slcapp/options';
import type { AlignmentOptions } from './alignment';

export { METHODS, type Method };

/** The short name of each method in tables (from the method registry). */
export const METHOD_LABELS = Object.fromEntries(METHOD_REGISTRY.map((m) => [m.id, m.label])) as Record<
  Method,
  string
>;

export interface Stage1Options {
  epochs: number;
  /** MultiStep milestones (epochs), γ below, stepped per epoch on both groups. */
  milestones: number[];
  gamma: number;
  batchSize: number;
  /** Learning rate of the new head; the backbone gets lr × backboneLrScale (0 freezes it). */
  lr: number;
  backboneLrScale: number;
  momentum: number;
  weightDecay: number;
  /** (code) replace the pretrained final LayerNorm by a fresh one (γ=1, β=0, eps 1e-5). */
  freshFinalNorm: boolean;
  /**
   * Stage-1 augmentation, or null for none: horizontal flip + shift (pixels) on decoded images (the
   * embedded benchmark), or a torchvision-style pipeline (docs/method.md §5) applied per batch to the images
   * at their source sizes (the paper's benchmarks; the data must be loaded with `loadManifestSource`).
   */
  augment: TrainAugment | null;
}

export interface ExperimentConfig {
  method: Method;
  seed: number;
  arch: VitArch;
  initClasses: number;
  increment: number;
  stage1: Stage1Options;
  /** Classifier alignment, or null for methods without it. */
  alignment: AlignmentOptions | null;
  /** (code) evaluate with the aligned heads, then restore the stage-1 heads before the next task. */
  restoreHeadsAfterEval: boolean;
  covarianceRidge: number;
  compute: {
    backend: BackendRequest;
    /** Worker threads for data-parallel compute; 0 runs in the calling thread. */
    workers: number;
    /** Each batch is cut into this many shards whatever the worker count, so results do not depend on it. */
    shards: number;
    /** Images per forward chunk when extracting features. */
    featureChunk: number;
    /**
     * The compute device (@slca/compute, device/open-device.ts): `auto` (the default: onnx where onnxruntime-node loads,
     * the backend is wasm and the method runs there, else wasm — methods/run-device.ts), `wasm` (everything
     * on tfjs) or `onnx` (forward and training passes on onnxruntime-node's native kernels).
     * Results agree across devices within float32 tolerance, not bit for bit.
     */
    device?: DeviceRequest;
  };
  /** Per-channel normalisation applied to [0,1] pixels. */
  normalize: { mean: [number, number, number]; std: [number, number, number] };
  /** RanPAC's settings (method ranpac only; `methods/ranpac/options.ts`). */
  ranpac?: RanpacOptions;
  /** SLCA++'s settings (method slcapp only; `methods/slcapp/options.ts`). */
  slcapp?: SlcappOptions;
  /** L2P's settings (method l2p only; `methods/l2p/options.ts`). */
  l2p?: L2pOptions;
  /** DualPrompt's settings (method dualprompt only; `methods/dualprompt/options.ts`). */
  dualprompt?: DualPromptOptions;
}

/**
 * A method's rules and defaults applied to a configuration (docs/method.md §8/§10 for the SLCA family;
 * each method's folder under `methods/` for the rest): what the catalogue's configurations are built with.
 */
export function applyMethod(base: ExperimentConfig, method: Method): ExperimentConfig {
  return methodDefinition(method).configure(base);
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Rejects configurations that cannot run, naming the field. */
export function validateConfig(cfg: ExperimentConfig): void {
  const positiveInt = (v: number, field: string) => {
    if (!Number.isInteger(v) || v <= 0)
      throw new ConfigError(`${field} must be a positive integer, got ${v}`);
  };
  const nonNegative = (v: number, field: string) => {
    if (!Number.isFinite(v) || v < 0) throw new ConfigError(`${field} must be a finite number ≥ 0, got ${v}`);
  };
  if (!(METHODS as readonly string[]).includes(cfg.method))
    throw new ConfigError(`method must be one of ${METHODS.join(', ')}`);
  if (!Number.isInteger(cfg.seed) || cfg.seed < 0 || cfg.seed > 0xffffffff)
    throw new ConfigError(`seed must be an integer in [0, 2^32), got ${cfg.seed}`);
  positiveInt(cfg.initClasses, 'initClasses');
  positiveInt(cfg.increment, 'increment');
  const s = cfg.stage1;
  positiveInt(s.epochs, 'stage1.epochs');
  positiveInt(s.batchSize, 'stage1.batchSize');
  nonNegative(s.lr, 'stage1.lr');
  nonNegative(s.backboneLrScale, 'stage1.backboneLrScale');
  nonNegative(s.momentum, 'stage1.momentum');
  nonNegative(s.weightDecay, 'stage1.weightDecay');
  s.milestones.forEach((m, i) => positiveInt(m, `stage1.milestones[${i}]`));
  validateAugment(s.augment);
  if (cfg.alignment) {
    const a = cfg.alignment;
    positiveInt(a.epochs, 'alignment.epochs');
    positiveInt(a.samplesPerClass, 'alignment.samplesPerClass');
    positiveInt(a.batchSize, 'alignment.batchSize');
    nonNegative(a.lr, 'alignment.lr');
    if (!(a.tau > 0)) throw new ConfigError(`alignment.tau must be > 0, got ${a.tau}`);
  }
  nonNegative(cfg.covarianceRidge, 'covarianceRidge');
  if (!Number.isInteger(cfg.compute.workers) || cfg.compute.workers < 0)
    throw new ConfigError(`compute.workers must be an integer ≥ 0`);
  positiveInt(cfg.compute.shards, 'compute.shards');
  positiveInt(cfg.compute.featureChunk, 'compute.featureChunk');
  const [issue] = methodIssues(cfg);
  if (issue) throw new ConfigError(`${issue.path} ${issue.message}`);
}

const TRANSFORM_OPS = [
  'random-resized-crop',
  'resize',
  'random-crop',
  'center-crop',
  'hflip',
  'brightness-jitter',
];

function validateAugment(augment: Stage1Options['augment']): void {
  if (augment === null) return;
  if (typeof augment !== 'object')
    throw new ConfigError('stage1.augment must be null, {flipProb, maxShift} or {transforms: [...]}');
  if ('transforms' in augment) {
    if (!Array.isArray(augment.transforms) || augment.transforms.length === 0)
      throw new ConfigError('stage1.augment.transforms must be a non-empty list of transform steps');
    augment.transforms.forEach((step, i) => {
      if (!TRANSFORM_OPS.includes(step?.op))
        throw new ConfigError(
          `stage1.augment.transforms[${i}].op must be one of ${TRANSFORM_OPS.join(', ')}, got ${String(step?.op)}`,
        );
    });
    return;
  }
  if (!(augment.flipProb >= 0 && augment.flipProb <= 1))
    throw new ConfigError(`stage1.augment.flipProb must be in [0, 1], got ${augment.flipProb}`);
  if (!Number.isInteger(augment.maxShift) || augment.maxShift < 0)
    throw new ConfigError(`stage1.augment.maxShift must be an integer ≥ 0, got ${augment.maxShift}`);
}
