'use client';

import { useActionState, useState } from 'react';
import type { CatalogBenchmark } from '../../../lib/catalog';
import type { NewRunField, NewRunState, NewRunValues } from '../../../lib/new-run';
import { startRun } from '../../actions';

/** What the servers list for the form: the trainer's catalogue and the splitter's registries. */
export interface NewRunOptions {
  methods: { id: string; label: string; description: string }[];
  benchmarks: CatalogBenchmark[];
  configurations: { id: string; benchmark: string; backbone: string; method: string }[];
  /** Registered dataset names. */
  datasets: string[];
  backbones: { name: string; arch: string; digest: string }[];
}

function FieldError({ state, field }: { state: NewRunState; field: NewRunField }) {
  const message = state.errors[field];
  return message ? (
    <p className="field-error" role="alert" id={`${field}-error`} data-testid={`error-${field}`}>
      {message}
    </p>
  ) : null;
}

export function NewRunForm({ options, initial }: { options: NewRunOptions; initial: NewRunValues }) {
  const [state, action, pending] = useActionState<NewRunState, FormData>(startRun, {
    values: initial,
    errors: {},
    generation: 0,
  });
  // Drawn afresh from the answer's values after each submission (React resets a submitted form).
  return (
    <NewRunFields key={state.generation} options={options} state={state} action={action} pending={pending} />
  );
}

function NewRunFields({
  options,
  state,
  action,
  pending,
}: {
  options: NewRunOptions;
  state: NewRunState;
  action: (form: FormData) => void;
  pending: boolean;
}) {
  const v = state.values;
  const registeredDataset = (name: string) => options.datasets.includes(name);
  const registeredBackbone = (name: string) => options.backbones.some((b) => b.name === name);
  const benchmarkOf = (id: string) => options.benchmarks.find((b) => b.id === id);
  const configurationOf = (benchmark: string, pretraining: string, method: string) =>
    options.configurations.find(
      (c) => c.benchmark === benchmark && c.backbone === pretraining && c.method === method,
    );

  const [benchmark, setBenchmark] = useState(v.benchmark ?? options.benchmarks[0]?.id ?? '');
  const [pretraining, setPretraining] = useState(v.pretraining ?? '');
  const [method, setMethod] = useState(v.method ?? '');
  const defaultDataset = (b: CatalogBenchmark | undefined) =>
    b && registeredDataset(b.defaultDataset) ? b.defaultDataset : '';
  const defaultBackbone = (name: string | undefined) => (name && registeredBackbone(name) ? name : '');
  const [dataset, setDataset] = useState(v.dataset ?? defaultDataset(benchmarkOf(benchmark)));
  const [backbone, setBackbone] = useState(
    v.backbone ?? defaultBackbone(configurationOf(benchmark, pretraining, method)?.backbone),
  );
  const [intent, setIntent] = useState<'preview' | 'start'>('start');
  const [changed, setChanged] = useState(false);

  const current = benchmarkOf(benchmark);
  const configuration = configurationOf(benchmark, pretraining, method);
  const methodEntry = options.methods.find((m) => m.id === method);
  const labelOf = (id: string) => options.methods.find((m) => m.id === id)?.label ?? id;

  const chooseBenchmark = (id: string) => {
    const next = benchmarkOf(id);
    const nextPretraining = next?.backbones[0] ?? '';
    const nextMethod = next?.methods.includes(method) ? method : (next?.methods[0] ?? '');
    setBenchmark(id);
    setPretraining(nextPretraining);
    setMethod(nextMethod);
    setDataset(defaultDataset(next));
    setBackbone(defaultBackbone(configurationOf(id, nextPretraining, nextMethod)?.backbone));
  };
  const choosePretraining = (name: string) => {
    setPretraining(name);
    setBackbone(defaultBackbone(configurationOf(benchmark, name, method)?.backbone));
  };

  const invalid = (field: NewRunField) =>
    state.errors[field] ? { 'aria-invalid': true, 'aria-describedby': `${field}-error` } : {};
  // A name the form was given but the splitter does not list (a repeated run's) stays choosable.
  const datasetNames = [...options.datasets, ...(dataset && !registeredDataset(dataset) ? [dataset] : [])];
  const backboneNames = [
    ...options.backbones.map((b) => b.name),
    ...(backbone && !registeredBackbone(backbone) ? [backbone] : []),
  ];
  const configuredBackbone = configuration?.backbone;

  return (
    <>
      <form
        action={action}
        className="card"
        noValidate
        data-testid="new-run-form"
        onChange={() => setChanged(true)}
      >
        <FieldError state={state} field="form" />
        <label htmlFor="benchmark">Benchmark</label>
        <select
          id="benchmark"
          name="benchmark"
          value={benchmark}
          onChange={(e) => chooseBenchmark(e.target.value)}
        >
          {options.benchmarks.map((b) => (
            <option key={b.id} value={b.id}>
              {b.title} ({b.classes} classes, {b.initClasses} + {b.increment} per task)
            </option>
          ))}
        </select>

        <label htmlFor="pretraining">Pre-training</label>
        <select
          id="pretraining"
          name="pretraining"
          value={pretraining}
          onChange={(e) => choosePretraining(e.target.value)}
        >
          {(current?.backbones ?? []).map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>

        <label htmlFor="method">Method</label>
        <select id="method" name="method" value={method} onChange={(e) => setMethod(e.target.value)}>
          {(current?.methods ?? []).map((id) => (
            <option key={id} value={id}>
              {labelOf(id)}
            </option>
          ))}
        </select>
        {methodEntry && <p className="muted field-note">{methodEntry.description}</p>}

        <input type="hidden" name="configuration" value={configuration?.id ?? ''} />
        <p>
          Configuration{' '}
          {configuration ? (
            <code data-testid="configuration-id">{configuration.id}</code>
          ) : (
            <span className="muted" data-testid="configuration-id">
              none in the catalogue for this pre-training and method
            </span>
          )}
        </p>
        <FieldError state={state} field="configuration" />

        <label htmlFor="dataset">
          Dataset <span className="hint">(registered with the splitter)</span>
        </label>
        <select
          id="dataset"
          name="dataset"
          value={dataset}
          onChange={(e) => setDataset(e.target.value)}
          {...invalid('dataset')}
        >
          {current && !registeredDataset(current.defaultDataset) && (
            <option value="">{current.defaultDataset} — the benchmark’s default (not registered yet)</option>
          )}
          {datasetNames.map((name) => (
            <option key={name} value={name}>
              {name}
              {current?.defaultDataset === name ? ' — the benchmark’s default' : ''}
            </option>
          ))}
        </select>
        <FieldError state={state} field="dataset" />

        <label htmlFor="backbone">
          Backbone <span className="hint">(registered weights)</span>
        </label>
        <select
          id="backbone"
          name="backbone"
          value={backbone}
          onChange={(e) => setBackbone(e.target.value)}
          {...invalid('backbone')}
        >
          {configuredBackbone && !registeredBackbone(configuredBackbone) && (
            <option value="">{configuredBackbone} — the configuration’s (not registered)</option>
          )}
          {backboneNames.map((name) => {
            const entry = options.backbones.find((b) => b.name === name);
            return (
              <option key={name} value={name}>
                {name}
                {entry ? ` (${entry.arch}, ${entry.digest.slice(0, 12)}…)` : ' (not registered)'}
                {configuredBackbone === name ? ' — the configuration’s' : ''}
              </option>
            );
          })}
        </select>
        <FieldError state={state} field="backbone" />

        <label htmlFor="seed">
          Seed{' '}
          <span className="hint">
            (class order and every random draw; empty: the configuration’s; the paper uses 1993, 1996, 1997)
          </span>
        </label>
        <input id="seed" name="seed" inputMode="numeric" defaultValue={v.seed} {...invalid('seed')} />
        <FieldError state={state} field="seed" />

        <label htmlFor="runId">
          Run id <span className="hint">(optional; the trainer picks one otherwise)</span>
        </label>
        <input id="runId" name="runId" defaultValue={v.runId} {...invalid('runId')} />
        <FieldError state={state} field="runId" />

        <label htmlFor="tags">
          Tags <span className="hint">(comma-separated)</span>
        </label>
        <input id="tags" name="tags" defaultValue={v.tags} {...invalid('tags')} />
        <FieldError state={state} field="tags" />

        <label htmlFor="overrides">
          Overrides{' '}
          <span className="hint">
            (optional, one <code>path=value</code> per line, e.g. <code>stage1.epochs=1</code>,{' '}
            <code>initClasses=15</code>, <code>alignment.tau=0.2</code>)
          </span>
        </label>
        <textarea
          id="overrides"
          name="overrides"
          rows={5}
          spellCheck={false}
          defaultValue={v.overrides}
          {...invalid('overrides')}
        />
        <FieldError state={state} field="overrides" />

        <p className="actions">
          <button
            type="submit"
            name="intent"
            value="preview"
            className="secondary"
            disabled={pending}
            onClick={() => setIntent('preview')}
            data-testid="preview-run"
          >
            {pending && intent === 'preview' ? 'Checking…' : 'Preview'}
          </button>
          <button
            type="submit"
            name="intent"
            value="start"
            disabled={pending}
            onClick={() => setIntent('start')}
            data-testid="start-run"
          >
            {pending && intent === 'start' ? 'Starting…' : 'Start run'}
          </button>
        </p>
      </form>
      {state.preview !== undefined && (
        <section className="card" data-testid="preview" data-stale={changed}>
          <h2>Resolved configuration</h2>
          <p className="muted">
            {changed
              ? 'The form has changed since this preview: preview again to see what the trainer would run now.'
              : 'What the trainer would run for these values (nothing was stored).'}
          </p>
          <pre className="formula" data-testid="preview-json" style={{ maxHeight: 480, overflow: 'auto' }}>
            {state.preview}
          </pre>
        </section>
      )}
    </>
  );
}
