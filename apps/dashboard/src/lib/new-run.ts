import type { StartRunRequest } from '@slca/contracts';

/** The golden configurations the trainer knows: the benchmark and its methods. */
export const BENCHMARK_OPTIONS = [
  { value: 'embedded', label: 'Split Emoji (embedded, 30 classes, 10 tasks)', defaultEpochs: 10 },
] as const;

export const METHOD_OPTIONS = [
  { value: 'slca', label: 'SLCA — slow learner + classifier alignment' },
  { value: 'sl', label: 'Slow Learner (no alignment)' },
  { value: 'seqft', label: 'Seq FT (backbone at the head’s lr)' },
  { value: 'slca-noln', label: 'SLCA without logit normalisation' },
  { value: 'joint', label: 'Joint training (upper bound)' },
] as const;

export const NEW_RUN_FIELDS = [
  'runId',
  'benchmark',
  'method',
  'seed',
  'epochs',
  'tags',
  'overrides',
] as const;
export type NewRunField = (typeof NEW_RUN_FIELDS)[number] | 'form';

export interface NewRunState {
  values: Partial<Record<NewRunField, string>>;
  errors: Partial<Record<NewRunField, string>>;
}

/** The trainer names request fields as in the .proto; the form's fields by these names. */
export const SERVER_FIELD_TO_FORM: Record<string, NewRunField> = {
  run_id: 'runId',
  benchmark: 'benchmark',
  method: 'method',
  seed: 'seed',
  epochs: 'epochs',
  tags: 'tags',
  config_overrides_json: 'overrides',
  checkpoint_every: 'form',
};

const RUN_ID = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const TAG = /^[A-Za-z0-9][A-Za-z0-9 ._:/-]{0,39}$/;

/** Validates the New-run form; every problem is reported next to its field. */
export function parseNewRun(form: FormData): { state: NewRunState; request?: StartRunRequest } {
  const values = Object.fromEntries(
    NEW_RUN_FIELDS.map((f) => [f, String(form.get(f) ?? '').trim()]),
  ) as Record<(typeof NEW_RUN_FIELDS)[number], string>;
  const errors: NewRunState['errors'] = {};
  if (values.runId && (!RUN_ID.test(values.runId) || values.runId.includes('..')))
    errors.runId =
      'Lower-case letters, digits, ".", "_" and "-", starting with a letter or digit, at most 63.';
  if (!BENCHMARK_OPTIONS.some((b) => b.value === values.benchmark)) errors.benchmark = 'Choose a benchmark.';
  if (!METHOD_OPTIONS.some((m) => m.value === values.method)) errors.method = 'Choose a method.';
  const seed = Number(values.seed);
  if (values.seed === '' || !/^\d+$/.test(values.seed) || seed > 0xffffffff)
    errors.seed = 'A whole number from 0 to 4294967295.';
  const epochs = values.epochs === '' ? 0 : Number(values.epochs);
  if (!/^\d*$/.test(values.epochs) || !Number.isInteger(epochs) || epochs > 1000)
    errors.epochs = 'A whole number of epochs per task from 1 to 1000 (empty: the benchmark’s default).';
  const tags = values.tags
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const badTag = tags.find((t) => !TAG.test(t));
  if (badTag !== undefined) errors.tags = `“${badTag}”: letters, digits, space and . _ : / -, at most 40.`;
  if (values.overrides) {
    try {
      const parsed: unknown = JSON.parse(values.overrides);
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
        errors.overrides = 'A JSON object, e.g. {"stage1":{"lr":0.005}}.';
    } catch (error) {
      errors.overrides = `Not valid JSON: ${(error as Error).message}`;
    }
  }
  const state = { values, errors };
  if (Object.keys(errors).length > 0) return { state };
  return {
    state,
    request: {
      runId: values.runId,
      benchmark: values.benchmark,
      method: values.method,
      seed,
      epochs,
      checkpointEvery: 0,
      tags,
      configOverridesJson: values.overrides,
      experimentJson: '',
      set: [],
      validateOnly: false,
    },
  };
}
