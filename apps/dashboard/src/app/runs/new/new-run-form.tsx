'use client';

import { useActionState } from 'react';
import { BENCHMARK_OPTIONS, METHOD_OPTIONS, type NewRunField, type NewRunState } from '../../../lib/new-run';
import { startRun } from '../../actions';

function FieldError({ state, field }: { state: NewRunState; field: NewRunField }) {
  const message = state.errors[field];
  return message ? (
    <p className="field-error" role="alert" id={`${field}-error`} data-testid={`error-${field}`}>
      {message}
    </p>
  ) : null;
}

export function NewRunForm() {
  const [state, action, pending] = useActionState<NewRunState, FormData>(startRun, {
    values: { benchmark: 'embedded', method: 'slca', seed: '1993' },
    errors: {},
  });
  const v = state.values;
  const invalid = (field: NewRunField) =>
    state.errors[field] ? { 'aria-invalid': true, 'aria-describedby': `${field}-error` } : {};
  return (
    <form action={action} className="card" noValidate data-testid="new-run-form">
      <FieldError state={state} field="form" />
      <label htmlFor="benchmark">Benchmark</label>
      <select
        id="benchmark"
        name="benchmark"
        defaultValue={v.benchmark}
        key={`b${v.benchmark}`}
        {...invalid('benchmark')}
      >
        {BENCHMARK_OPTIONS.map((b) => (
          <option key={b.value} value={b.value}>
            {b.label}
          </option>
        ))}
      </select>
      <FieldError state={state} field="benchmark" />

      <label htmlFor="method">Method</label>
      <select id="method" name="method" defaultValue={v.method} key={`m${v.method}`} {...invalid('method')}>
        {METHOD_OPTIONS.map((m) => (
          <option key={m.value} value={m.value}>
            {m.label}
          </option>
        ))}
      </select>
      <FieldError state={state} field="method" />

      <label htmlFor="seed">
        Seed{' '}
        <span className="hint">(class order and every random draw; the paper uses 1993, 1996, 1997)</span>
      </label>
      <input
        id="seed"
        name="seed"
        inputMode="numeric"
        defaultValue={v.seed}
        key={`s${v.seed}`}
        {...invalid('seed')}
      />
      <FieldError state={state} field="seed" />

      <label htmlFor="epochs">
        Epochs per task <span className="hint">(empty: the benchmark’s default, 10)</span>
      </label>
      <input
        id="epochs"
        name="epochs"
        inputMode="numeric"
        defaultValue={v.epochs}
        key={`e${v.epochs}`}
        {...invalid('epochs')}
      />
      <FieldError state={state} field="epochs" />

      <label htmlFor="runId">
        Run id <span className="hint">(optional; the trainer picks one otherwise)</span>
      </label>
      <input id="runId" name="runId" defaultValue={v.runId} key={`r${v.runId}`} {...invalid('runId')} />
      <FieldError state={state} field="runId" />

      <label htmlFor="tags">
        Tags <span className="hint">(comma-separated)</span>
      </label>
      <input id="tags" name="tags" defaultValue={v.tags} key={`t${v.tags}`} {...invalid('tags')} />
      <FieldError state={state} field="tags" />

      <label htmlFor="overrides">
        Configuration overrides{' '}
        <span className="hint">
          (optional JSON merged over the golden configuration, e.g. {'{"initClasses":15,"increment":15}'})
        </span>
      </label>
      <textarea
        id="overrides"
        name="overrides"
        rows={4}
        defaultValue={v.overrides}
        key={`o${v.overrides}`}
        {...invalid('overrides')}
      />
      <FieldError state={state} field="overrides" />

      <p>
        <button type="submit" disabled={pending} data-testid="start-run">
          {pending ? 'Starting…' : 'Start run'}
        </button>
      </p>
    </form>
  );
}
