import { describe, expect, it } from 'vitest';
import { parseNewRun } from './new-run';

const form = (values: Record<string, string>) => {
  const data = new FormData();
  for (const [k, v] of Object.entries({ benchmark: 'embedded', method: 'slca', seed: '1993', ...values }))
    data.set(k, v);
  return data;
};

describe('the New-run form', () => {
  it('turns good values into a StartRun request', () => {
    expect(parseNewRun(form({ epochs: '1', tags: 'a, b', overrides: '{"initClasses":15}' })).request).toEqual(
      {
        runId: '',
        benchmark: 'embedded',
        method: 'slca',
        seed: 1993,
        epochs: 1,
        checkpointEvery: 0,
        tags: ['a', 'b'],
        configOverridesJson: '{"initClasses":15}',
      },
    );
  });

  it('reports each bad value against its field', () => {
    const { state, request } = parseNewRun(
      form({ method: 'ewc', seed: '4294967296', epochs: '-1', runId: 'A', tags: '!x', overrides: '[1]' }),
    );
    expect(request).toBeUndefined();
    expect(Object.keys(state.errors).sort()).toEqual([
      'epochs',
      'method',
      'overrides',
      'runId',
      'seed',
      'tags',
    ]);
  });
});
