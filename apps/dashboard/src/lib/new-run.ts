import type { StartRunRequest } from '@slca/contracts';
import { configurationPath, findConfiguration, type Catalog } from './catalog';
import { isObject, parseConfig, settingsBetween, type Json } from './experiment';

/*
 * The New-run form: its values become a StartRun request for an experiment that extends a catalogue
 * configuration. The form checks nothing itself: the trainer validates every field and names the one it
 * refuses (`run_id`, `tags`, `experiment_json.<path>`), and that name is mapped back to the form's input.
 */

export const NEW_RUN_FIELDS = [
  'benchmark',
  'pretraining',
  'method',
  'configuration',
  'dataset',
  'backbone',
  'seed',
  'tags',
  'runId',
  'overrides',
] as const;
export type NewRunInput = (typeof NEW_RUN_FIELDS)[number];
export type NewRunField = NewRunInput | 'form';
export type NewRunValues = Partial<Record<NewRunInput, string>>;

export interface NewRunState {
  values: NewRunValues;
  errors: Partial<Record<NewRunField, string>>;
  /** The resolved experiment (pretty JSON) of a Preview. */
  preview?: string;
  /** Counts the answers, so the form is drawn afresh from `values` after each. */
  generation: number;
}

/** The form's values, trimmed (the overrides keep their lines). */
export function readNewRunForm(form: FormData): NewRunValues {
  return Object.fromEntries(
    NEW_RUN_FIELDS.map((f) => {
      const value = String(form.get(f) ?? '');
      return [f, f === 'overrides' ? value.replace(/\r\n?/g, '\n').trim() : value.trim()];
    }),
  );
}

/** `path=value` lines of the overrides box; blank lines and `#` comments are skipped. */
export function overrideLines(text: string | undefined): string[] {
  return (text ?? '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** The StartRun request of the form's values: an experiment extending the chosen configuration. */
export function buildStartRunRequest(values: NewRunValues, { validateOnly = false } = {}): StartRunRequest {
  const experiment: Record<string, unknown> = { extends: configurationPath(values.configuration ?? '') };
  if (values.dataset) experiment.dataset = values.dataset;
  if (values.backbone) experiment.backbone = values.backbone;
  // The seed also goes inside the experiment: the request's field cannot say 0 (0 keeps the experiment's),
  // and a value that is not a seed at all reaches the trainer to be refused as `experiment_json.seed`.
  const seedText = values.seed ?? '';
  const seed = /^\d+$/.test(seedText) ? Number(seedText) : undefined;
  const isSeed = seed !== undefined && seed <= 0xffffffff;
  if (seedText !== '') experiment.seed = seed ?? seedText;
  return {
    runId: values.runId ?? '',
    benchmark: '',
    method: '',
    seed: isSeed ? seed : 0,
    epochs: 0,
    checkpointEvery: 0,
    tags: (values.tags ?? '')
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean),
    configOverridesJson: '',
    experimentJson: JSON.stringify(experiment),
    set: overrideLines(values.overrides),
    validateOnly,
  };
}

/** What a refused StartRun says: the gRPC status name, the `x-invalid-field` trailer and the details. */
export interface StartRunRefusal {
  code: string;
  field?: string;
  details: string;
}

const EXPERIMENT_FIELD_INPUT: Record<string, NewRunInput> = {
  extends: 'configuration',
  dataset: 'dataset',
  backbone: 'backbone',
  seed: 'seed',
};
const REQUEST_FIELD_INPUT: Record<string, NewRunInput> = {
  run_id: 'runId',
  tags: 'tags',
  seed: 'seed',
  set: 'overrides',
  // A field error without a path inside the experiment is a `set` line that is not path=value: the
  // dashboard writes the rest of the experiment itself.
  experiment_json: 'overrides',
};

/**
 * The input a refusal is about, and the message to show beside it. Inside the experiment the trainer
 * names the path (`experiment_json.stage1.lr`, or `experiment.initClasses` for its checks against the
 * dataset): a path an override line sets is the overrides box's; `extends`, `dataset`, `backbone` and
 * `seed` are their own inputs; any other path can only be changed by an override. NOT_FOUND names the
 * unregistered dataset or backbone; ALREADY_EXISTS is about the run id.
 */
export function refusalField(
  refusal: StartRunRefusal,
  values: NewRunValues,
): { field: NewRunField; message: string } {
  const { code, field = '', details } = refusal;
  if (code === 'NOT_FOUND') {
    const what = /^(dataset|backbone)\b/.exec(details)?.[1] as 'dataset' | 'backbone' | undefined;
    return { field: what ?? 'form', message: details };
  }
  if (code === 'ALREADY_EXISTS') return { field: 'runId', message: details };
  if (code !== 'INVALID_ARGUMENT') return { field: 'form', message: details };
  const nested = /^(?:experiment_json|experiment)\.(.+)$/.exec(field)?.[1];
  if (nested !== undefined) {
    const prefix = field.slice(0, field.length - nested.length);
    const message = details.startsWith(prefix) ? details.slice(prefix.length) : details;
    const setPaths = overrideLines(values.overrides).map((line) => line.split('=')[0].trim());
    const touches = (p: string) => p === nested || nested.startsWith(`${p}.`) || p.startsWith(`${nested}.`);
    if (setPaths.some(touches)) return { field: 'overrides', message };
    const own = EXPERIMENT_FIELD_INPUT[nested];
    if (own) return { field: own, message: stripField(message, nested) };
    return { field: 'overrides', message };
  }
  return { field: REQUEST_FIELD_INPUT[field] ?? 'form', message: stripField(details, field) };
}

function stripField(details: string, field: string): string {
  return field && details.startsWith(`${field}: `) ? details.slice(field.length + 2) : details;
}

/** What a run needs of its record to be started again. */
export interface RunToRepeat {
  configJson: string;
  seed: number;
  tags: string[];
  benchmark: string;
  method: string;
  lineage?: { configurationId?: string; dataset?: string; backbone?: string } | null;
}

/**
 * The form's values that start `run` again: its configuration, dataset, backbone, seed and tags, and as
 * overrides what its experiment changed from the configuration. Undefined where the catalogue has no
 * configuration for it.
 */
export function valuesFromRun(run: RunToRepeat, catalog: Catalog): NewRunValues | undefined {
  const experiment = parseConfig(run.configJson);
  const own = experiment.configuration;
  const id = run.lineage?.configurationId || (isObject(own) && typeof own.id === 'string' ? own.id : '');
  const configuration = findConfiguration(catalog, id);
  if (!configuration) return undefined;
  const base = parseConfig(configuration.experimentJson);
  const text = (v: Json | undefined) => (typeof v === 'string' ? v : '');
  return {
    benchmark: configuration.benchmark,
    pretraining: configuration.backbone,
    method: configuration.method,
    configuration: configuration.id,
    dataset: run.lineage?.dataset || text(experiment.dataset),
    backbone: run.lineage?.backbone || text(experiment.backbone),
    seed: String(run.seed),
    tags: run.tags.join(', '),
    runId: '',
    overrides: settingsBetween(base, experiment).join('\n'),
  };
}
