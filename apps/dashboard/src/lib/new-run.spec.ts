import { describe, expect, it } from 'vitest';
import { CATALOG, EMBEDDED_SLCA } from './catalog.fixture';
import {
  buildStartRunRequest,
  readNewRunForm,
  refusalField,
  valuesFromRun,
  type NewRunValues,
} from './new-run';

const VALUES: NewRunValues = {
  benchmark: 'embedded',
  pretraining: 'vit-emoji',
  method: 'slca',
  configuration: 'embedded/vit-emoji/slca@v1',
  dataset: 'split-emoji',
  backbone: 'vit-emoji',
  seed: '1996',
  tags: 'e2e, short',
  runId: 'e2e-form',
  overrides: 'initClasses=15\nincrement=15\n\n# one epoch per task\nstage1.epochs=1',
};

describe('the New-run request', () => {
  it('extends the configuration (without its version) on the chosen dataset and backbone', () => {
    expect(buildStartRunRequest(VALUES)).toEqual({
      runId: 'e2e-form',
      benchmark: '',
      method: '',
      seed: 1996,
      epochs: 0,
      checkpointEvery: 0,
      tags: ['e2e', 'short'],
      configOverridesJson: '',
      experimentJson: JSON.stringify({
        extends: 'embedded/vit-emoji/slca',
        dataset: 'split-emoji',
        backbone: 'vit-emoji',
        seed: 1996,
      }),
      set: ['initClasses=15', 'increment=15', 'stage1.epochs=1'],
      validateOnly: false,
    });
  });

  it('Preview is the same request, validate-only', () => {
    expect(buildStartRunRequest(VALUES, { validateOnly: true })).toEqual({
      ...buildStartRunRequest(VALUES),
      validateOnly: true,
    });
  });

  it('leaves out what the form leaves to the configuration; seed 0 is said inside the experiment', () => {
    const request = buildStartRunRequest({ configuration: 'cifar100/in21k/slca@v3', dataset: '', seed: '0' });
    expect(JSON.parse(request.experimentJson)).toEqual({ extends: 'cifar100/in21k/slca', seed: 0 });
    expect([request.seed, request.tags, request.set, request.runId]).toEqual([0, [], [], '']);
    expect(JSON.parse(buildStartRunRequest({ configuration: 'x@v1' }).experimentJson)).toEqual({
      extends: 'x',
    });
  });

  it('sends a seed that is not one as it is, for the trainer to refuse by its field', () => {
    for (const seed of ['two', '-1', '4294967296']) {
      const request = buildStartRunRequest({ ...VALUES, seed });
      expect(request.seed).toBe(0);
      expect(JSON.parse(request.experimentJson).seed).toBe(
        seed === 'two' || seed === '-1' ? seed : 4294967296,
      );
    }
  });

  it('reads the form trimmed, with the overrides’ lines kept', () => {
    const form = new FormData();
    form.set('runId', '  r1 ');
    form.set('overrides', ' a=1\r\nb=2 \n');
    form.set('intent', 'preview');
    expect(readNewRunForm(form)).toMatchObject({ runId: 'r1', overrides: 'a=1\nb=2', seed: '' });
  });
});

describe('a StartRun refusal beside its input', () => {
  const at = (code: string, field: string | undefined, details: string, values: NewRunValues = VALUES) =>
    refusalField({ code, field, details }, values);

  it('maps the request’s fields', () => {
    expect(at('INVALID_ARGUMENT', 'run_id', 'run_id: "Bad Id" must match …')).toEqual({
      field: 'runId',
      message: '"Bad Id" must match …',
    });
    expect(at('INVALID_ARGUMENT', 'tags', 'tags: "!x" must match …').field).toBe('tags');
    expect(at('INVALID_ARGUMENT', 'set', 'set: stage1.lr: …').field).toBe('overrides');
    expect(
      at('INVALID_ARGUMENT', 'experiment_json', 'experiment_json: --set x: expected path=value'),
    ).toEqual({
      field: 'overrides',
      message: '--set x: expected path=value',
    });
    expect(at('INVALID_ARGUMENT', 'checkpoint_every', 'checkpoint_every: …').field).toBe('form');
  });

  it('maps a path inside the experiment to the override that sets it, else to its own input', () => {
    expect(
      at('INVALID_ARGUMENT', 'experiment_json.stage1.epochs', 'experiment_json.stage1.epochs: Too small'),
    ).toEqual({
      field: 'overrides',
      message: 'stage1.epochs: Too small',
    });
    // An override of a whole object is about its fields too, and a field's override about its object.
    expect(at('INVALID_ARGUMENT', 'experiment_json.stage1', 'x', { overrides: 'stage1.lr=-1' }).field).toBe(
      'overrides',
    );
    expect(
      at('INVALID_ARGUMENT', 'experiment_json.alignment.tau', 'x', { overrides: 'alignment=null' }).field,
    ).toBe('overrides');
    expect(
      at('INVALID_ARGUMENT', 'experiment_json.seed', 'experiment_json.seed: Too small: expected >=0'),
    ).toEqual({
      field: 'seed',
      message: 'Too small: expected >=0',
    });
    expect(at('INVALID_ARGUMENT', 'experiment_json.seed', 'x', { overrides: 'seed=-1' }).field).toBe(
      'overrides',
    );
    expect(at('INVALID_ARGUMENT', 'experiment_json.extends', 'experiment_json.extends: unknown').field).toBe(
      'configuration',
    );
    expect(
      at('INVALID_ARGUMENT', 'experiment_json.dataset', 'experiment_json.dataset: must match').field,
    ).toBe('dataset');
    expect(at('INVALID_ARGUMENT', 'experiment_json.backbone', 'x').field).toBe('backbone');
    // The trainer's checks against the dataset and backbone name the experiment's field.
    expect(
      at('INVALID_ARGUMENT', 'experiment.initClasses', 'experiment.initClasses: 40 classes do not fit'),
    ).toEqual({
      field: 'overrides',
      message: 'initClasses: 40 classes do not fit',
    });
    expect(at('INVALID_ARGUMENT', 'experiment_json.normalize.mean', 'x', {}).field).toBe('overrides');
  });

  it('puts an unregistered dataset or backbone beside its input, a taken run id beside the run id', () => {
    expect(at('NOT_FOUND', undefined, 'dataset cifar100 is not registered (register it …)').field).toBe(
      'dataset',
    );
    expect(at('NOT_FOUND', undefined, 'backbone in21k is not registered').field).toBe('backbone');
    expect(at('NOT_FOUND', undefined, 'something else').field).toBe('form');
    expect(at('ALREADY_EXISTS', undefined, 'run r already exists with another configuration').field).toBe(
      'runId',
    );
    expect(at('FAILED_PRECONDITION', undefined, 'no').field).toBe('form');
  });
});

describe('a New run like an earlier one', () => {
  const run = (
    changes: Record<string, unknown>,
    lineage?: { configurationId: string; dataset: string; backbone: string },
  ) => ({
    configJson: JSON.stringify({
      ...EMBEDDED_SLCA,
      ...changes,
      seed: 1996,
      stage1: { ...EMBEDDED_SLCA.stage1, epochs: 1 },
      compute: { ...EMBEDDED_SLCA.compute, workers: 7 },
    }),
    seed: 1996,
    tags: ['a', 'b'],
    benchmark: 'embedded',
    method: 'slca',
    lineage,
  });

  it('takes its configuration, dataset, backbone, seed, tags and what it changed as overrides', () => {
    expect(valuesFromRun(run({ initClasses: 15, increment: 15 }), CATALOG)).toEqual({
      benchmark: 'embedded',
      pretraining: 'vit-emoji',
      method: 'slca',
      configuration: 'embedded/vit-emoji/slca@v1',
      dataset: 'split-emoji',
      backbone: 'vit-emoji',
      seed: '1996',
      tags: 'a, b',
      runId: '',
      overrides: 'initClasses=15\nincrement=15\nstage1.epochs=1',
    });
  });

  it('prefers the lineage, writes objects replaced whole as JSON, and knows no run without a configuration', () => {
    const values = valuesFromRun(
      run(
        { alignment: null, method: 'slca' },
        { configurationId: 'embedded/vit-emoji/slca@v1', dataset: 'emoji-2', backbone: 'vit-emoji' },
      ),
      CATALOG,
    );
    expect(values?.dataset).toBe('emoji-2');
    expect(values?.overrides).toBe('stage1.epochs=1\nalignment=null');
    expect(valuesFromRun({ ...run({}), configJson: '{"method":"slca"}' }, CATALOG)).toBeUndefined();
  });
});
