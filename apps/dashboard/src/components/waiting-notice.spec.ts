import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { waitingLine } from '../lib/format';
import { WaitingNotice } from './waiting-notice';

const render = (run: { status: string; waitingFor?: string }) =>
  renderToStaticMarkup(createElement(WaitingNotice, { run }));

describe('what a paused run waits for, on its page', () => {
  it('names the dependency while the run is running or queued', () => {
    const run = { status: 'RUN_STATUS_RUNNING', waitingFor: 'the evaluator at 127.0.0.1:50054' };
    expect(waitingLine(run)).toBe('waiting for the evaluator at 127.0.0.1:50054');
    expect(render(run)).toBe(
      '<span class="badge waiting" role="status" data-testid="run-waiting" ' +
        'title="The run is paused, not failing: it continues when this answers.">' +
        '⏸ waiting for the evaluator at 127.0.0.1:50054</span>',
    );
    expect(waitingLine({ status: 'RUN_STATUS_QUEUED', waitingFor: 'the object store' })).toBe(
      'waiting for the object store',
    );
  });

  it('shows nothing when the run waits for nothing, or has ended', () => {
    expect(render({ status: 'RUN_STATUS_RUNNING', waitingFor: '' })).toBe('');
    expect(render({ status: 'RUN_STATUS_RUNNING' })).toBe('');
    expect(render({ status: 'RUN_STATUS_RUNNING', waitingFor: '  ' })).toBe('');
    for (const status of ['RUN_STATUS_SUCCEEDED', 'RUN_STATUS_FAILED', 'RUN_STATUS_CANCELLED'])
      expect(render({ status, waitingFor: 'the evaluator' })).toBe('');
  });
});
