import { z } from 'zod';
import type { TransformStep } from '@slca/data';
import { BACKEND_REQUESTS, type BackendRequest, DEVICE_REQUESTS, type VitArch } from '@slca/compute';
import type { AlignmentOptions } from '../slca/alignment';
import { methodIssues } from '../methods/registry';
import { dualPromptOptionsSchema, type DualPromptOptions } from '../methods/dualprompt/options';
import { l2pOptionsSchema, type L2pOptions } from '../methods/l2p/options';
import { ranpacOptionsSchema, type RanpacOptions } from '../methods/ranpac/options';
import { slcappOptionsSchema, type SlcappOptions } from '../methods/slcapp/options';
import { METHODS, type ExperimentConfig } from '../slca/config';
import type { TrainAugment } from '../train/batch-gradient';
import { BACKBONE_NAME, BENCHMARK_IDS, DATASET_NAME } from './names';

/**
 * The experiment contract: one zod schema gives the TypeScript types, the validation (every error names
 * its field path) and the JSON Schema editors use (`exps/experiment.schema.json`). The CLI, the trainer,
 * the Kubernetes Job and the dashboard (through the trainer) all validate with it.
 */
export const EXPERIMENT_SCHEMA = 'slca.experiment/v1';

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();
const nonNegative = z.number().finite().nonnegative();
const rgb = z.tuple([z.number().finite(), z.number().finite(), z.number().finite()]);
const range = z.tuple([z.number().positive(), z.number().positive()]);

export const archSchema = z
  .strictObject({
    imageSize: positiveInt,
    patchSize: positiveInt,
    dim: positiveInt,
    depth: positiveInt,
    heads: positiveInt,
    mlpDim: positiveInt,
    normEps: z.number().positive().optional(),
  })
  .superRefine((a, ctx) => {
    if (a.imageSize % a.patchSize !== 0)
      ctx.addIssue({
        code: 'custom',
        path: ['patchSize'],
        message: `imageSize ${a.imageSize} is not a multiple of patchSize ${a.patchSize}`,
      });
    if (a.dim % a.heads !== 0)
      ctx.addIssue({
        code: 'custom',
        path: ['heads'],
        message: `dim ${a.dim} is not divisible by heads ${a.heads}`,
      });
  });

export const transformStepSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('random-resized-crop'), size: positiveInt, scale: range, ratio: range }),
  z.strictObject({
    op: z.literal('resize'),
    size: z.union([positiveInt, z.tuple([positiveInt, positiveInt])]),
  }),
  z.strictObject({ op: z.literal('random-crop'), size: positiveInt }),
  z.strictObject({ op: z.literal('center-crop'), size: positiveInt }),
  z.strictObject({ op: z.literal('hflip'), p: z.number().min(0).max(1) }),
  z.strictObject({ op: z.literal('brightness-jitter'), brightness: nonNegative }),
]);

export const augmentSchema = z
  .union([
    z.strictObject({ flipProb: z.number().min(0).max(1), maxShift: nonNegativeInt }),
    z.strictObject({ transforms: z.array(transformStepSchema).min(1) }),
  ])
  .nullable();

export const stage1Schema = z.strictObject({
  epochs: positiveInt,
  milestones: z.array(positiveInt),
  gamma: nonNegative,
  batchSize: positiveInt,
  lr: nonNegative,
  backboneLrScale: nonNegative,
  momentum: nonNegative,
  weightDecay: nonNegative,
  freshFinalNorm: z.boolean(),
  augment: augmentSchema,
});

export const alignmentSchema = z
  .strictObject({
    epochs: positiveInt,
    lr: nonNegative,
    momentum: nonNegative,
    weightDecay: nonNegative,
    samplesPerClass: positiveInt,
    batchSize: positiveInt,
    tau: z.number().positive(),
    logitNorm: z.boolean(),
    meanShrink: z.boolean(),
    meanShrinkTask: z.enum(['true', 'reference']).optional(),
  })
  .nullable();

export const computeSchema = z.strictObject({
  backend: z.enum(BACKEND_REQUESTS as readonly BackendRequest[] as [BackendRequest, ...BackendRequest[]]),
  workers: nonNegativeInt,
  shards: positiveInt,
  featureChunk: positiveInt,
  device: z
    .enum(DEVICE_REQUESTS)
    .optional()
    .describe(
      'auto (default: onnx where onnxruntime-node loads, the backend is wasm and the method runs there, else wasm), wasm (everything on tfjs) or onnx (native forward and training passes)',
    ),
});

/** What the engine runs: `runExperiment`'s configuration. */
export const experimentConfigSchema = z.strictObject({
  method: z.enum(METHODS),
  seed: z.number().int().min(0).max(0xffffffff),
  arch: archSchema,
  initClasses: positiveInt,
  increment: positiveInt,
  stage1: stage1Schema,
  alignment: alignmentSchema,
  restoreHeadsAfterEval: z.boolean(),
  covarianceRidge: nonNegative,
  compute: computeSchema,
  normalize: z.strictObject({
    mean: rgb,
    std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
  }),
  ranpac: ranpacOptionsSchema.optional().describe('RanPAC’s settings (method ranpac only)'),
  slcapp: slcappOptionsSchema.optional().describe('SLCA++’s settings (method slcapp only)'),
  l2p: l2pOptionsSchema.optional().describe('L2P’s settings (method l2p only)'),
  dualprompt: dualPromptOptionsSchema.optional().describe('DualPrompt’s settings (method dualprompt only)'),
});

export const testTransformSchema = z
  .strictObject({ resize: positiveInt, crop: positiveInt })
  .nullable()
  .describe(
    'Resize (shorter side) then centre crop for evaluation and class statistics; null: resize to arch.imageSize',
  );

/** A complete experiment: what to run it on (benchmark, dataset, backbone) and the engine's configuration. */
export const experimentSpecSchema = experimentConfigSchema
  .extend({
    schema: z.literal(EXPERIMENT_SCHEMA),
    /** The catalogue configuration this experiment is (or was derived from), for lineage and the published number. */
    configuration: z.strictObject({ id: z.string().min(1), version: positiveInt }).nullable(),
    benchmark: z.enum(BENCHMARK_IDS),
    dataset: z.string().regex(DATASET_NAME, `must match ${DATASET_NAME.source}`),
    backbone: z.string().regex(BACKBONE_NAME, `must match ${BACKBONE_NAME.source}`),
    testTransform: testTransformSchema,
  })
  .superRefine((spec, ctx) => {
    for (const issue of methodIssues(spec))
      ctx.addIssue({ code: 'custom', path: issue.path.split('.'), message: issue.message });
    const t = spec.testTransform;
    if (t && t.crop !== spec.arch.imageSize)
      ctx.addIssue({
        code: 'custom',
        path: ['testTransform', 'crop'],
        message: `must equal arch.imageSize (${spec.arch.imageSize}), got ${t.crop}`,
      });
    if (t && t.crop > t.resize)
      ctx.addIssue({
        code: 'custom',
        path: ['testTransform', 'crop'],
        message: `${t.crop} is larger than resize ${t.resize}`,
      });
    if (spec.stage1.augment && 'transforms' in spec.stage1.augment && spec.testTransform === null)
      ctx.addIssue({
        code: 'custom',
        path: ['testTransform'],
        message: 'a source-size training pipeline (stage1.augment.transforms) needs a test transform',
      });
  });

export type ExperimentSpec = z.infer<typeof experimentSpecSchema>;

// The engine's types and the schema describe the same objects: checked both ways at compile time.
type Mutual<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const schemaMatchesEngine: [
  Mutual<z.infer<typeof experimentConfigSchema>, ExperimentConfig>,
  Mutual<z.infer<typeof archSchema>, VitArch>,
  Mutual<NonNullable<z.infer<typeof augmentSchema>>, TrainAugment>,
  Mutual<z.infer<typeof transformStepSchema>, TransformStep>,
  Mutual<NonNullable<z.infer<typeof alignmentSchema>>, AlignmentOptions>,
  Mutual<z.infer<typeof ranpacOptionsSchema>, RanpacOptions>,
  Mutual<z.infer<typeof slcappOptionsSchema>, SlcappOptions>,
  Mutual<z.infer<typeof l2pOptionsSchema>, L2pOptions>,
  Mutual<z.infer<typeof dualPromptOptionsSchema>, DualPromptOptions>,
] = [true, true, true, true, true, true, true, true, true];
void schemaMatchesEngine;

/** What a spec adds to the engine's configuration: where the experiment runs and what it is. */
const SPEC_ONLY_FIELDS = [
  'schema',
  'configuration',
  'benchmark',
  'dataset',
  'backbone',
  'testTransform',
] as const;

/** The engine's configuration inside a spec (the spec minus where it runs). */
export function configOf(spec: ExperimentSpec): ExperimentConfig {
  const config: Partial<ExperimentSpec> = structuredClone(spec);
  for (const key of SPEC_ONLY_FIELDS) delete config[key];
  return config as ExperimentConfig;
}

/**
 * The JSON Schema of an experiment file, for editors (`exps/experiment.schema.json`): every field's type,
 * range and allowed values, and no unknown keys. Nothing is marked required, since a file that `extends` a
 * catalogue configuration gives only what it changes; completeness is checked when the file is resolved.
 */
export function experimentJsonSchema(): Record<string, unknown> {
  const fileSchema = experimentSpecSchema.safeExtend({
    extends: z.string().optional().describe('a catalogue configuration id whose values this file overrides'),
  });
  const schema = z.toJSONSchema(fileSchema, { unrepresentable: 'any', io: 'input' }) as Record<
    string,
    unknown
  >;
  return withoutRequired(schema) as Record<string, unknown>;
}

function withoutRequired(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutRequired);
  if (!node || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !(key === 'required' && Array.isArray(value)))
      .map(([key, value]) => [key, withoutRequired(value)]),
  );
}
