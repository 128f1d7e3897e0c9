import { embeddedConfig } from '@slca/engine';
import { describe, expect, it } from 'vitest';
import { runSpecFrom, type RunRequest } from './run-spec';

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

  it.each([
    [{ runId: 'Bad Id' }, 'run_id'],
    [{ benchmark: 'cifar100' }, 'benchmark'],
    [{ method: 'ewc' }, 'method'],
    [{ seed: -1 }, 'seed'],
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

  it('names the exact setting that is wrong', () => {
    expect(() => runSpecFrom(request({ configOverridesJson: '{"stage1":{"lrr":1}}' }), defaults)).toThrow(
      'config_overrides_json: unknown setting stage1.lrr',
    );
    expect(() =>
      runSpecFrom(request({ configOverridesJson: '{"stage1":{"batchSize":0}}' }), defaults),
    ).toThrow('stage1.batchSize must be a positive integer, got 0');
  });
});
