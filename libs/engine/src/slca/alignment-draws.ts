import type { Mt19937 } from '@slca/data';

/*
 * The random draws of classifier alignment (alignment.ts), apart from the arithmetic on them, so that they
 * can be made in another thread (alignment-draw-worker.ts) from the same stream state: tfjs-free.
 */

/** The shape of one alignment epoch's random draws. */
export interface AlignmentDrawPlan {
  classes: number;
  samplesPerClass: number;
  dim: number;
  /** SLCA++'s per-sample uniforms, drawn after each class's normals. */
  featureScale: boolean;
}

/** The random part of the seen classes' samples, in the order it is drawn. */
export interface SampleNoise {
  /** Standard normals, class after class: classes × samplesPerClass × dim. */
  normals: Float32Array;
  /** Uniforms in [0, 1), classes × samplesPerClass (featureScale only). */
  uniforms: Float64Array | null;
}

/** One alignment epoch's draws: the samples' noise, then the shuffle of all samples. */
export interface EpochDraws extends SampleNoise {
  order: Int32Array;
}

/** For each class in turn: its normals, then (featureScale) its uniforms; exactly sampleClass's draws. */
export function drawSampleNoise(rng: Mt19937, plan: AlignmentDrawPlan): SampleNoise {
  const { classes, samplesPerClass: count, dim } = plan;
  const per = count * dim;
  const normals = new Float32Array(classes * per);
  const uniforms = plan.featureScale ? new Float64Array(classes * count) : null;
  for (let c = 0; c < classes; c++) {
    for (let i = c * per; i < (c + 1) * per; i++) normals[i] = rng.standardNormal();
    if (uniforms) for (let i = c * count; i < (c + 1) * count; i++) uniforms[i] = rng.randomSample();
  }
  return { normals, uniforms };
}

/** Everything alignClassifier draws from its stream in one epoch, in its order. */
export function drawEpoch(rng: Mt19937, plan: AlignmentDrawPlan): EpochDraws {
  const noise = drawSampleNoise(rng, plan);
  return { ...noise, order: Int32Array.from(rng.permutation(plan.classes * plan.samplesPerClass)) };
}
