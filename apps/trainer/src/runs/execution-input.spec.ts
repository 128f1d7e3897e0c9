import { MemoryObjectStore } from '@slca/artifacts';
import { RunStatus } from '@slca/contracts';
import { createLogger } from '@slca/service-kit';
import { describe, expect, it } from 'vitest';
import type { Peers } from '../execution/peers';
import type { ExecutionHooks } from '../execution/run-execution';
import { executionInput } from './execution-input';
import type { RunRecord } from './run-record';

const config = { method: 'slca', seed: 1993, stage1: { epochs: 2 } };
const record: RunRecord = {
  id: 'run-a',
  status: RunStatus.RUN_STATUS_RUNNING,
  benchmark: 'embedded',
  method: 'slca',
  seed: 1993,
  tags: ['t'],
  configJson: JSON.stringify(config),
  checkpointEvery: 25,
  backend: 'tensorflow',
  splitId: 'split-1',
  tasks: 2,
  tasksDone: 1,
  accuracies: [90],
  lastAcc: 0,
  incAcc: 0,
  createdAtMs: Date.UTC(2026, 0, 2, 3, 4, 5),
  startedAtMs: 0,
  finishedAtMs: 0,
  error: '',
  latestCheckpoint: 'runs/run-a/checkpoints/00000007/',
  checkpointSeq: 7,
  resumedCount: 1,
};

describe('executionInput: a stored run becomes what an executor runs', () => {
  const context = {
    store: new MemoryObjectStore(),
    peers: {} as Peers,
    logger: createLogger({ service: 'test', write: () => undefined }),
    signal: new AbortController().signal,
    hooks: {} as ExecutionHooks,
  };

  it('carries the run’s id, benchmark, parsed configuration, checkpoint cadence and sequence, and creation time', () => {
    const input = executionInput(record, context);
    expect(input).toMatchObject({
      runId: 'run-a',
      benchmark: 'embedded',
      config,
      checkpointEvery: 25,
      checkpointSeq: 7,
      createdAt: '2026-01-02T03:04:05.000Z',
    });
  });

  it('passes the store, peers, logger, stop signal and hooks through as they are', () => {
    const input = executionInput(record, context);
    expect(input.store).toBe(context.store);
    expect(input.peers).toBe(context.peers);
    expect(input.logger).toBe(context.logger);
    expect(input.signal).toBe(context.signal);
    expect(input.hooks).toBe(context.hooks);
  });

  it('parses the configuration afresh each time, so an execution cannot change the record', () => {
    const a = executionInput(record, context);
    (a.config as unknown as { seed: number }).seed = 1;
    expect(executionInput(record, context).config).toEqual(config);
    expect(record.configJson).toBe(JSON.stringify(config));
  });
});
