import type { Mt19937 } from '../random/mt19937';
import {
  centerCropBox,
  randomCropBox,
  randomResizedCropBox,
  resizeShorterSize,
  type CropBox,
} from './geometry';
import { TransformError, type RgbImage } from './image';
import { adjustBrightness, crop, hflip, normalizeImage } from './ops';
import { resizeBicubic } from './resize';

/**
 * One step of a torchvision-style pipeline, bicubic throughout (docs/method.md §5.2). `resize` with a number
 * resizes the shorter side (aspect kept); with `[height, width]` it resizes to exactly that.
 */
export type TransformStep =
  | { op: 'random-resized-crop'; size: number; scale: [number, number]; ratio: [number, number] }
  | { op: 'resize'; size: number | [number, number] }
  | { op: 'random-crop'; size: number }
  | { op: 'center-crop'; size: number }
  | { op: 'hflip'; p: number }
  | { op: 'brightness-jitter'; brightness: number };

/**
 * One step of a pipeline with its random choices made: what {@link planTransforms} turns a
 * {@link TransformStep} into for one image, and what {@link runPlan} executes without any rng.
 */
export type PlannedOp =
  | { op: 'crop'; box: CropBox }
  | { op: 'resize'; width: number; height: number }
  | { op: 'hflip' }
  | { op: 'brightness'; factor: number };

/**
 * Makes every random choice of the steps for an image of `width`×`height`, in the order
 * {@link applyTransforms} documents, and returns the concrete operations. Draws depend on the image's
 * size only, never on its pixels, so a batch can be planned on one thread (keeping the rng's order) and
 * run on several.
 */
export function planTransforms(
  width: number,
  height: number,
  steps: readonly TransformStep[],
  rng: Mt19937,
): PlannedOp[] {
  const plan: PlannedOp[] = [];
  let w = width;
  let h = height;
  const cropTo = (box: CropBox) => {
    plan.push({ op: 'crop', box });
    w = box.width;
    h = box.height;
  };
  const resizeTo = (width: number, height: number) => {
    plan.push({ op: 'resize', width, height });
    w = width;
    h = height;
  };
  for (const step of steps) {
    switch (step.op) {
      case 'random-resized-crop':
        cropTo(randomResizedCropBox(w, h, step.scale, step.ratio, rng));
        resizeTo(step.size, step.size);
        break;
      case 'resize': {
        const size =
          typeof step.size === 'number'
            ? resizeShorterSize(w, h, step.size)
            : { height: step.size[0], width: step.size[1] };
        resizeTo(size.width, size.height);
        break;
      }
      case 'random-crop':
        cropTo(randomCropBox(w, h, step.size, rng));
        break;
      case 'center-crop':
        cropTo(centerCropBox(w, h, step.size));
        break;
      case 'hflip':
        if (!(step.p >= 0 && step.p <= 1))
          throw new TransformError(`hflip p must be in [0, 1], got ${step.p}`);
        if (rng.randomSample() < step.p) plan.push({ op: 'hflip' });
        break;
      case 'brightness-jitter': {
        const b = step.brightness;
        if (!(b >= 0) || !Number.isFinite(b))
          throw new TransformError(`brightness jitter must be a finite number ≥ 0, got ${b}`);
        const lo = Math.max(0, 1 - b);
        plan.push({ op: 'brightness', factor: lo + (1 + b - lo) * rng.randomSample() });
        break;
      }
    }
  }
  return plan;
}

/** Executes a plan from {@link planTransforms} on one image: deterministic, no rng. */
export function runPlan(image: RgbImage, plan: readonly PlannedOp[]): RgbImage {
  let out = image;
  for (const step of plan) {
    switch (step.op) {
      case 'crop':
        out = crop(out, step.box);
        break;
      case 'resize':
        out = resizeBicubic(out, step.width, step.height);
        break;
      case 'hflip':
        out = hflip(out);
        break;
      case 'brightness':
        out = adjustBrightness(out, step.factor);
        break;
    }
  }
  return out;
}

/**
 * Runs the steps in order on one image, drawing every random choice from `rng` (see each step's draw
 * order: {@link randomResizedCropBox}, {@link randomCropBox}; `hflip` draws one `randomSample()` and flips
 * when it is < p; `brightness-jitter` draws one `randomSample()` u for the factor
 * max(0, 1 − b) + u·(1 + b − max(0, 1 − b))), then normalises when `normalize` is given.
 * The same image, steps and rng state always give the same output.
 */
export function applyTransforms(
  image: RgbImage,
  steps: readonly TransformStep[],
  rng: Mt19937,
  normalize?: { mean: readonly [number, number, number]; std: readonly [number, number, number] },
): RgbImage {
  const out = runPlan(image, planTransforms(image.width, image.height, steps, rng));
  return normalize ? normalizeImage(out, normalize.mean, normalize.std) : out;
}

/**
 * A pipeline scaled to another input size: every pixel size is multiplied by `size / 224` and rounded,
 * so a down-scaled ViT (e.g. 16 px in tests) sees the same geometry as ViT-B/16 at 224.
 */
export function scaleTransforms(steps: readonly TransformStep[], size: number): TransformStep[] {
  const s = (v: number) => Math.max(1, Math.round((v * size) / 224));
  return steps.map((step) => {
    switch (step.op) {
      case 'random-resized-crop':
      case 'random-crop':
      case 'center-crop':
        return { ...step, size: s(step.size) };
      case 'resize':
        return {
          ...step,
          size: typeof step.size === 'number' ? s(step.size) : [s(step.size[0]), s(step.size[1])],
        };
      default:
        return { ...step };
    }
  });
}

/**
 * A training batch through one pipeline: each image in order through {@link applyTransforms} with the
 * shared `rng` (so image k's draws follow image k−1's), packed as [0, 1] NHWC float32. Every output must
 * be size×size; a pipeline that produces anything else is a {@link TransformError} naming the image.
 */
export function transformBatch(
  images: readonly RgbImage[],
  steps: readonly TransformStep[],
  rng: Mt19937,
  size: number,
): Float32Array {
  const per = size * size * 3;
  const out = new Float32Array(images.length * per);
  images.forEach((image, i) => {
    out.set(pipelineOutput(image, applyTransforms(image, steps, rng), i, size).data, i * per);
  });
  return out;
}

/** `result` when it is size×size; otherwise a {@link TransformError} naming image `index`. */
export function pipelineOutput(image: RgbImage, result: RgbImage, index: number, size: number): RgbImage {
  if (result.width !== size || result.height !== size)
    throw new TransformError(
      `the training pipeline turned image ${index} (${image.width}×${image.height}) into ${result.width}×${result.height}, expected ${size}×${size}`,
    );
  return result;
}
