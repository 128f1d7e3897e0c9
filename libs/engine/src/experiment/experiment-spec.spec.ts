import { describe, expect, it } from 'vitest';
import { embeddedConfig } from '../benchmarks/embedded';
import { paperConfig, paperTestTransform } from '../benchmarks/paper';
import { configurationCatalog, configurationSpec, findConfiguration } from './catalog';
import { ExperimentSpecError, resolveExperiment, resolveExperimentText } from './resolve';
import { configOf, experimentJsonSchema, experimentSpecSchema } from './schema';

/** The issues of a refused experiment, as `path: message` lines. */
function refusal(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ExperimentSpecError) return error.issues.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
  throw new Error('the experiment was accepted');
}

describe('the configuration catalogue', () => {
  it('holds the embedded methods and 4 benchmarks × 2 pre-trainings × 9 methods, with unique ids', () => {
    const all = configurationCatalog();
    expect(all).toHaveLength(10 + 4 * 2 * 9);
    expect(new Set(all.map((c) => c.id)).size).toBe(all.length);
    expect(findConfiguration('cifar100/in21k/slca').id).toBe('cifar100/in21k/slca@v3');
    expect(findConfiguration('embedded/vit-emoji/slca@v1').published).toBeNull();
    expect(findConfiguration('cifar100/in21k/slca').published?.lastAcc).toBe(91.53);
    expect(findConfiguration('cars196/in21k/slcapp').published?.lastAcc).toBe(73.97);
    expect(findConfiguration('cifar100/in21k/l2p').published?.lastAcc).toBe(82.76);
    expect(findConfiguration('embedded/vit-emoji/l2p').method).toBe('l2p');
    expect(findConfiguration('cars196/in21k/dualprompt').published?.incAcc).toBe(56.74);
    expect(findConfiguration('cub200/in21k/ranpac').published).toMatchObject({
      lastAcc: 87.88,
      incAcc: 92.57,
    });
    // SimpleCIL has no number under SLCA's protocol: its rows run without a reference.
    expect(findConfiguration('cifar100/in21k/simplecil').published).toBeNull();
    expect(configurationSpec('embedded/vit-emoji/dualprompt').dualprompt?.eLayers).toEqual([2, 3]);
  });

  it('every configuration is a valid spec whose engine part is the engine’s own definition', () => {
    for (const entry of configurationCatalog()) {
      const spec = configurationSpec(entry.id, 1996);
      expect(experimentSpecSchema.safeParse(spec).success, entry.id).toBe(true);
      const expected =
        entry.benchmark === 'embedded'
          ? embeddedConfig(entry.method, 1996)
          : paperConfig(entry.benchmark, entry.backbone as 'in21k', entry.method as 'slca', 1996);
      expect(configOf(spec), entry.id).toEqual(expected);
    }
    const cars = configurationSpec('cars196/mocov3/slca');
    expect(cars.testTransform).toEqual(paperTestTransform('cars196', 224));
    expect(cars.alignment?.meanShrinkTask).toBe('reference');
    expect(cars).toMatchObject({ dataset: 'cars196', backbone: 'mocov3', benchmark: 'cars196' });
  });

  it('refuses an unknown configuration and an old version', () => {
    expect(() => findConfiguration('cifar100/in21k/coda-prompt')).toThrow(/unknown configuration/);
    expect(() => findConfiguration('cifar100/in21k/slca@v2')).toThrow(/at v3 now, not v2/);
  });
});

describe('resolving an experiment file', () => {
  const yaml = [
    'extends: cifar100/in21k/slca',
    'dataset: my-cifar',
    'backbone: in21k-local',
    'seed: 1997',
    'stage1:',
    '  epochs: 3',
    '  milestones: [2]',
  ].join('\n');

  it('extends a configuration, then applies the file and the --set overrides in that order', () => {
    const spec = resolveExperimentText(yaml, {
      source: 'exp.yaml',
      settings: ['stage1.epochs=1', 'alignment.tau=0.05', 'compute.shards=4'],
    });
    expect(spec.dataset).toBe('my-cifar');
    expect(spec.backbone).toBe('in21k-local');
    expect(spec.seed).toBe(1997);
    expect(spec.stage1.epochs).toBe(1);
    expect(spec.stage1.milestones).toEqual([2]);
    expect(spec.stage1.batchSize).toBe(128);
    expect(spec.alignment?.tau).toBe(0.05);
    expect(spec.compute.shards).toBe(4);
    expect(spec.configuration).toEqual({ id: 'cifar100/in21k/slca@v3', version: 3 });
  });

  it('another architecture gets the configuration for it: the paper transforms scaled to its input size', () => {
    const arch = { imageSize: 16, patchSize: 8, dim: 8, depth: 1, heads: 2, mlpDim: 16 };
    const spec = resolveExperiment({ extends: 'cifar100/in21k/slca', arch }, { source: 'x' });
    // By hand: 256 · 16 / 224 = 18.3 → 18; the crop is the input size.
    expect(spec.testTransform).toEqual({ resize: 18, crop: 16 });
    expect(spec.stage1.augment).toEqual({
      transforms: [
        { op: 'random-resized-crop', size: 16, scale: [0.08, 1], ratio: [3 / 4, 4 / 3] },
        { op: 'hflip', p: 0.5 },
        { op: 'brightness-jitter', brightness: 63 / 255 },
      ],
    });
    expect(configOf(spec)).toEqual(paperConfig('cifar100', 'in21k', 'slca', 1993, {}, arch));
  });

  it('the same when the architecture comes in --set overrides (a whole arch, or one field of it)', () => {
    const arch = { imageSize: 16, patchSize: 8, dim: 8, depth: 1, heads: 2, mlpDim: 16 };
    const inFile = resolveExperiment({ extends: 'cifar100/in21k/slca', arch }, { source: 'x' });
    const whole = resolveExperiment(
      { extends: 'cifar100/in21k/slca' },
      {
        source: 'x',
        settings: ['arch={imageSize: 16, patchSize: 8, dim: 8, depth: 1, heads: 2, mlpDim: 16}'],
      },
    );
    expect(whole).toEqual(inFile);
    const fields = resolveExperiment(
      { extends: 'cifar100/in21k/slca', arch: { ...arch, imageSize: 224 } },
      { source: 'x', settings: ['arch.imageSize=16'] },
    );
    expect(fields).toEqual(inFile);
    // Transforms given explicitly still win over the scaled ones.
    const explicit = resolveExperiment(
      { extends: 'cifar100/in21k/slca', arch, testTransform: { resize: 20, crop: 16 } },
      { source: 'x' },
    );
    expect(explicit.testTransform).toEqual({ resize: 20, crop: 16 });
  });

  it('reads the same experiment from JSON', () => {
    const fromJson = resolveExperimentText(
      JSON.stringify({
        extends: 'cifar100/in21k/slca',
        dataset: 'my-cifar',
        backbone: 'in21k-local',
        seed: 1997,
        stage1: { epochs: 3, milestones: [2] },
      }),
      { source: 'exp.json' },
    );
    expect(fromJson).toEqual(resolveExperimentText(yaml, { source: 'exp.yaml' }));
  });

  it('a complete spec (a golden file) resolves to itself', () => {
    const spec = configurationSpec('imagenet-r/mocov3/sl');
    expect(resolveExperiment(structuredClone(spec), { source: 'golden' })).toEqual(spec);
  });

  it('names the field path of an unknown key, a wrong type and an out-of-range value', () => {
    expect(refusal(() => resolveExperimentText(`${yaml}\n  epochz: 2`, { source: 'exp.yaml' }))).toEqual([
      'stage1.epochz: unknown field(s) epochz',
    ]);
    expect(
      refusal(() =>
        resolveExperiment({ extends: 'cifar100/in21k/slca', stage1: { epochs: 'ten' } }, { source: 'x' }),
      ),
    ).toEqual([expect.stringMatching(/^stage1\.epochs: .*number/)]);
    expect(
      refusal(() => resolveExperiment({ extends: 'cifar100/in21k/slca', seed: -1 }, { source: 'x' })),
    ).toEqual([expect.stringMatching(/^seed: /)]);
    expect(
      refusal(() =>
        resolveExperiment(
          {
            extends: 'cifar100/in21k/slca',
            stage1: { augment: { transforms: [{ op: 'resize', size: 0 }] } },
          },
          { source: 'x' },
        ),
      ),
    ).toEqual([expect.stringMatching(/^stage1\.augment(\.transforms\[0\]\.size)?: /)]);
    expect(
      refusal(() =>
        resolveExperiment({ extends: 'cifar100/in21k/slca', arch: { patchSize: 15 } }, { source: 'x' }),
      ),
    ).toEqual(['arch.patchSize: imageSize 224 is not a multiple of patchSize 15']);
  });

  it('refuses settings that contradict the method or the backbone', () => {
    expect(
      refusal(() => resolveExperiment({ extends: 'cifar100/in21k/slca', method: 'joint' }, { source: 'x' })),
    ).toEqual([
      'alignment: must be null for method joint (one task: alignment runs from the second task on)',
    ]);
    expect(
      refusal(() => resolveExperiment({ extends: 'cifar100/in21k/sl', method: 'slca' }, { source: 'x' })),
    ).toEqual(['alignment: method slca needs alignment settings']);
    const alignment = configurationSpec('embedded/vit-emoji/slca').alignment;
    expect(
      refusal(() => resolveExperiment({ extends: 'embedded/vit-emoji/ranpac', alignment }, { source: 'x' })),
    ).toEqual([
      "alignment: must be null for method ranpac (its heads do not read the backbone's features, so classifier alignment cannot follow it)",
    ]);
    expect(
      refusal(() =>
        resolveExperiment(
          { extends: 'embedded/vit-emoji/sl', ranpac: configurationSpec('embedded/vit-emoji/ranpac').ranpac },
          { source: 'x' },
        ),
      ),
    ).toEqual(['ranpac: only for method ranpac; remove it for method sl']);
    expect(
      refusal(() =>
        resolveExperiment(
          { extends: 'embedded/vit-emoji/ranpac', ranpac: { fitFraction: 1 } },
          { source: 'x' },
        ),
      ),
    ).toEqual([expect.stringMatching(/^ranpac\.fitFraction: /)]);
    expect(
      refusal(() =>
        resolveExperiment(
          { extends: 'cifar100/in21k/slca', testTransform: { resize: 256, crop: 200 } },
          { source: 'x' },
        ),
      ),
    ).toEqual(['testTransform.crop: must equal arch.imageSize (224), got 200']);
    expect(
      refusal(() =>
        resolveExperiment({ extends: 'cifar100/in21k/slca', dataset: '../etc' }, { source: 'x' }),
      ),
    ).toEqual([expect.stringMatching(/^dataset: must match/)]);
  });

  it('a --set of an unknown path, a bad extends and a YAML syntax error are refused with their place', () => {
    expect(
      refusal(() => resolveExperimentText(yaml, { source: 'e.yaml', settings: ['stage1.epocs=1'] })),
    ).toEqual([
      expect.stringMatching(/^stage1\.epocs: --set: unknown field \(known here: epochs, milestones/),
    ]);
    expect(refusal(() => resolveExperimentText(yaml, { source: 'e.yaml', settings: ['stage1'] }))).toEqual([
      ': --set stage1: expected path=value',
    ]);
    expect(refusal(() => resolveExperiment({ extends: 'mnist/in21k/slca' }, { source: 'x' }))).toEqual([
      expect.stringMatching(/^extends: unknown configuration "mnist\/in21k\/slca"/),
    ]);
    try {
      resolveExperimentText('stage1:\n  epochs: [1,\n', { source: 'bad.yaml' });
      throw new Error('accepted');
    } catch (error) {
      expect((error as ExperimentSpecError).source).toMatch(/^bad\.yaml:\d+:\d+$/);
    }
    expect(refusal(() => resolveExperimentText('- 1\n- 2\n', { source: 'list.yaml' }))).toEqual([
      ': an experiment must be an object (a mapping)',
    ]);
  });
});

describe('the JSON Schema for editors', () => {
  it('types every field and refuses unknown keys, nested ones included', () => {
    const schema = experimentJsonSchema() as {
      properties: Record<string, { properties?: Record<string, unknown>; additionalProperties?: unknown }>;
      additionalProperties: unknown;
    };
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining([
        'extends',
        'benchmark',
        'dataset',
        'backbone',
        'method',
        'stage1',
        'alignment',
        'testTransform',
      ]),
    );
    expect(schema.properties.stage1.additionalProperties).toBe(false);
    expect(schema.properties.stage1.properties?.epochs).toMatchObject({ type: 'integer' });
    expect(JSON.stringify(schema)).not.toContain('"required"');
  });
});
