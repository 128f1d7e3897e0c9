import { configurationSpec, embeddedConfig, paperConfig } from '@slca/engine';
import { describe, expect, it } from 'vitest';
import { experimentOfRecord, runSpecFrom, type RunRequest } from './run-spec';

const defaults = { workers: 2, checkpointEvery: 50, newId: () => 'generated-id' };
const request = (over: Partial<RunRequest> = {}): RunRequest => ({
  runId: '',
  benchmark: 'embedded',
  method: 'slca',
  seed: 1993,
  epochs: 0,
  checkpointEvery: 0,
  tags: [],
  configOverridesJson: '',
  ...over,
});

describe('runSpecFrom: a StartRun request becomes a run', () => {
  it('uses the benchmark’s golden configuration, a generated id and the trainer’s defaults', () => {
    const spec = runSpecFrom(request(), defaults);
    expect(spec.runId).toBe('generated-id');
    expect(spec.config).toEqual(embeddedConfig('slca', 1993, { workers: 2 }));
    expect(spec.checkpointEvery).toBe(50);
  });

  it('applies epochs (dropping milestones past the end) and nested overrides, keeping the method’s rules', () => {
    const spec = runSpecFrom(
      request({
        method: 'seqft',
        epochs: 3,
        configOverridesJson: '{"initClasses":15,"increment":15,"stage1":{"backboneLrScale":0.5,"lr":0.02}}',
      }),
      defaults,
    );
    expect(spec.config.stage1.epochs).toBe(3);
    expect(spec.config.stage1.milestones).toEqual([]);
    expect(spec.config.initClasses).toBe(15);
    expect(spec.config.stage1.lr).toBe(0.02);
    // Seq FT trains the backbone at the head's rate whatever the overrides say: that is what the method is.
    expect(spec.config.stage1.backboneLrScale).toBe(1);
    expect(spec.config.alignment).toBeNull();
  });

  it('keeps an alignment given in the overrides (Seq FT + CA as a plug-in), and refuses it where the method cannot take it', () => {
    const alignment = embeddedConfig('slca', 1993).alignment;
    expect(alignment).not.toBeNull();
    const seqftCa = runSpecFrom(
      request({ method: 'seqft', configOverridesJson: JSON.stringify({ alignment }) }),
      defaults,
    );
    expect(seqftCa.config.alignment).toEqual(alignment);
    // The method's own rules still hold beside it.
    expect(seqftCa.config.stage1.backboneLrScale).toBe(1);
    // Without it in the overrides, Seq FT is Seq FT.
    expect(runSpecFrom(request({ method: 'seqft' }), defaults).config.alignment).toBeNull();
    // SLCA without alignment is not SLCA; RanPAC's heads do not read the features: both refused by field.
    for (const [method, overrides] of [
      ['slca', { alignment: null }],
      ['ranpac', { alignment }],
    ] as const)
      expect(() =>
        runSpecFrom(request({ method, configOverridesJson: JSON.stringify(overrides) }), defaults),
      ).toThrow(/alignment/);
  });

  it.each([
    [{ runId: 'Bad Id' }, 'run_id'],
    [{ benchmark: 'mnist' }, 'benchmark'],
    [{ benchmark: 'cifar100', method: 'slca-noln' }, 'method'],
    [{ method: 'ewc' }, 'method'],
    [{ seed: -1 }, 'seed'],
    [{ seed: 4294967295 }, 'seed'],
    [{ seed: 2 ** 31 }, 'seed'],
    [{ seed: 1.5 }, 'seed'],
    [
      {
        seed: 4294967295,
        benchmark: '',
        method: '',
        experimentJson: '{"extends":"embedded/vit-emoji/slca"}',
      },
      'seed',
    ],
    [{ epochs: 1.5 }, 'epochs'],
    [{ checkpointEvery: -3 }, 'checkpoint_every'],
    [{ tags: ['ok', ''] }, 'tags'],
    [{ configOverridesJson: '{' }, 'config_overrides_json'],
    [{ configOverridesJson: '[1]' }, 'config_overrides_json'],
    [{ configOverridesJson: '{"stage1":{"lrr":1}}' }, 'config_overrides_json'],
    [{ configOverridesJson: '{"stage1":{"lr":"fast"}}' }, 'config_overrides_json'],
    [{ configOverridesJson: '{"stage1":{"batchSize":0}}' }, 'config_overrides_json'],
    [{ configOverridesJson: '{"seed":7}' }, 'config_overrides_json'],
  ])('rejects %j naming %s', (over, field) => {
    expect(() => runSpecFrom(request(over as Partial<RunRequest>), defaults)).toThrow(
      expect.objectContaining({ field, code: 'invalid_argument' }),
    );
  });

  it('refuses a negative seed that arrives as uint32 (−1 → 4294967295), saying what it likely was', () => {
    expect(() => runSpecFrom(request({ seed: 4294967295 }), defaults)).toThrow(
      'seed: must be an integer in [0, 2^31 − 1] (larger seeds go in experiment_json), got 4294967295 ' +
        '(a negative seed, -1, sent as uint32?)',
    );
    expect(runSpecFrom(request({ seed: 2 ** 31 - 1 }), defaults).seed).toBe(2 ** 31 - 1);
  });

  it('names the exact setting that is wrong', () => {
    expect(() => runSpecFrom(request({ configOverridesJson: '{"stage1":{"lrr":1}}' }), defaults)).toThrow(
      'config_overrides_json: unknown setting stage1.lrr',
    );
    expect(() =>
      runSpecFrom(request({ configOverridesJson: '{"stage1":{"batchSize":0}}' }), defaults),
    ).toThrow(/^config_overrides_json: stage1\.batchSize: /);
  });
});

describe('runSpecFrom: an experiment in the request', () => {
  const experiment = (value: object) =>
    request({ benchmark: '', method: '', seed: 0, experimentJson: JSON.stringify(value) });

  it('extends a paper configuration, applies set last, and keeps the trainer’s worker count', () => {
    const spec = runSpecFrom(
      {
        ...experiment({
          extends: 'cifar100/in21k/slca',
          dataset: 'cifar-tiny',
          backbone: 'tiny-vit',
          stage1: { epochs: 2 },
        }),
        seed: 1996,
        set: ['alignment.epochs=1'],
      },
      defaults,
    );
    expect(spec.benchmark).toBe('cifar100');
    expect(spec.seed).toBe(1996);
    expect(spec.experiment).toMatchObject({
      dataset: 'cifar-tiny',
      backbone: 'tiny-vit',
      testTransform: { resize: 256, crop: 224 },
    });
    const expected = paperConfig('cifar100', 'in21k', 'slca', 1996, { workers: 2 });
    expected.stage1.epochs = 2;
    if (!expected.alignment) throw new Error('SLCA aligns');
    expected.alignment = { ...expected.alignment, epochs: 1 };
    expect(spec.config).toEqual(expected);
  });

  it('names the field path inside the experiment, and refuses the older fields beside it', () => {
    expect(() =>
      runSpecFrom(experiment({ extends: 'cifar100/in21k/slca', stage1: { epochz: 1 } }), defaults),
    ).toThrow(expect.objectContaining({ field: 'experiment_json.stage1.epochz' }));
    expect(() => runSpecFrom(experiment({ extends: 'cifar100/in21k/slca', seed: 'x' }), defaults)).toThrow(
      expect.objectContaining({ field: 'experiment_json.seed' }),
    );
    expect(() =>
      runSpecFrom({ ...experiment({ extends: 'cifar100/in21k/slca' }), method: 'slca' }, defaults),
    ).toThrow(expect.objectContaining({ field: 'method' }));
    expect(() => runSpecFrom(request({ benchmark: '', method: '', experimentJson: '{' }), defaults)).toThrow(
      expect.objectContaining({ field: 'experiment_json' }),
    );
    expect(() => runSpecFrom({ ...request(), set: ['stage1.nope=1'] }, defaults)).toThrow(
      expect.objectContaining({ field: 'set' }),
    );
  });

  it('reads a record’s configuration: an experiment as it is, an older embedded configuration as embedded', () => {
    const spec = configurationSpec('cub200/mocov3/sl');
    expect(experimentOfRecord(JSON.stringify(spec))).toEqual(spec);
    const old = embeddedConfig('slca', 1993, { workers: 2 });
    expect(experimentOfRecord(JSON.stringify(old))).toMatchObject({
      benchmark: 'embedded',
      dataset: 'split-emoji',
      backbone: 'vit-emoji',
      testTransform: null,
      stage1: old.stage1,
    });
  });
});
