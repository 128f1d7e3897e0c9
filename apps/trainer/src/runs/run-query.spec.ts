import { RunStatus } from '@slca/contracts';
import { describe, expect, it } from 'vitest';
import { parseRunQuery, RunQueryError } from './run-query';
import type { RunRecord } from './run-record';

function run(id: string, over: Partial<RunRecord>, experiment: object = {}): RunRecord {
  return {
    id,
    status: RunStatus.RUN_STATUS_SUCCEEDED,
    benchmark: 'embedded',
    method: 'slca',
    seed: 1993,
    tags: [],
    configJson: JSON.stringify(experiment),
    checkpointEvery: 50,
    backend: 'wasm',
    device: 'wasm',
    splitId: '',
    tasks: 2,
    tasksDone: 2,
    accuracies: [90, 80],
    lastAcc: 80,
    incAcc: 85,
    createdAtMs: 0,
    startedAtMs: 0,
    finishedAtMs: 0,
    error: '',
    latestCheckpoint: '',
    checkpointSeq: 0,
    resumedCount: 0,
    ...over,
  };
}

const RUNS = [
  run(
    'a-slca',
    { tags: ['paper', 'two words'], lastAcc: 91.5 },
    { stage1: { lr: 0.01, epochs: 20 }, dataset: 'cifar-100' },
  ),
  run(
    'b-sl',
    { method: 'sl', seed: 1996, lastAcc: 79.25, device: 'onnx' },
    { stage1: { lr: 0.01, epochs: 1 } },
  ),
  run(
    'c-running',
    {
      status: RunStatus.RUN_STATUS_RUNNING,
      tags: ['paper'],
      lineage: {
        dataset: 'cub-tiny',
        datasetDigest: '',
        backbone: 'in21k',
        backboneDigest: '',
        configurationId: '',
        configurationVersion: 0,
        codeVersion: '',
      },
    },
    { stage1: { lr: 0.005 }, alignment: null },
  ),
];

RUNS.push(run('d-archived', { archived: true, tags: ['paper'] }));

const ids = (query: string) => RUNS.filter(parseRunQuery(query)).map((r) => r.id);

describe('the runs query', () => {
  it('matches every run when empty', () => {
    expect(ids('')).toEqual(['a-slca', 'b-sl', 'c-running']);
    expect(ids('   ')).toEqual(['a-slca', 'b-sl', 'c-running']);
  });

  it('field:value, case-insensitive; status by its short or wire name; quoted values', () => {
    expect(ids('method:SL')).toEqual(['b-sl']);
    expect(ids('tag:paper')).toEqual(['a-slca', 'c-running']);
    expect(ids('tag:"two words"')).toEqual(['a-slca']);
    expect(ids('status:running')).toEqual(['c-running']);
    expect(ids('status:RUN_STATUS_SUCCEEDED')).toEqual(['a-slca', 'b-sl']);
    expect(ids('device:onnx')).toEqual(['b-sl']);
    // The dataset from the lineage, else from the experiment of an older record.
    expect(ids('dataset:cub-tiny')).toEqual(['c-running']);
    expect(ids('dataset:cifar-100')).toEqual(['a-slca']);
    expect(ids('backbone:in21k')).toEqual(['c-running']);
  });

  it('compares metrics and settings by path, as numbers where both are', () => {
    expect(ids('lastAcc>80')).toEqual(['a-slca']);
    expect(ids('lastAcc>=80')).toEqual(['a-slca', 'c-running']);
    expect(ids('lastAcc<80')).toEqual(['b-sl']);
    expect(ids('lastAcc=79.25')).toEqual(['b-sl']);
  });

  it('settings: a missing path does not match; text compares by = and != only', () => {
    expect(ids('stage1.epochs=1')).toEqual(['b-sl']);
    expect(ids('stage1.epochs>1')).toEqual(['a-slca']);
    expect(ids('stage1.lr<0.01')).toEqual(['c-running']);
    expect(ids('alignment=null')).toEqual(['c-running']);
    expect(ids('seed!=1993')).toEqual(['b-sl']);
  });

  it('a bare word is found in id, method, benchmark, dataset, backbone or tags; every term must match', () => {
    expect(ids('running')).toEqual(['c-running']);
    expect(ids('paper lastAcc>90')).toEqual(['a-slca']);
    expect(ids('tag:paper status:succeeded method:slca')).toEqual(['a-slca']);
  });

  it('leaves archived runs out unless the query asks for them', () => {
    expect(ids('tag:paper')).toEqual(['a-slca', 'c-running']);
    expect(ids('tag:paper archived:yes')).toEqual(['d-archived']);
    expect(ids('tag:paper archived:any')).toEqual(['a-slca', 'c-running', 'd-archived']);
    expect(ids('archived:no')).toEqual(['a-slca', 'b-sl', 'c-running']);
  });

  it('refuses a malformed term, saying which and why', () => {
    const refusal = (query: string) => {
      try {
        parseRunQuery(query);
      } catch (error) {
        expect(error).toBeInstanceOf(RunQueryError);
        return (error as Error).message;
      }
      return 'accepted';
    };
    expect(refusal('method:slca colour:red')).toBe(
      "term 2 'colour:red': unknown field 'colour' (fields: id, method, benchmark, dataset, backbone, tag, status, backend, device, archived)",
    );
    expect(refusal('status:sleeping')).toMatch(
      /^term 1 'status:sleeping': unknown status 'sleeping' \(statuses: queued, running/,
    );
    expect(refusal('lastAcc>high')).toBe("term 1 'lastAcc>high': '>' compares numbers, got 'high'");
    expect(refusal('tag:')).toBe("term 1 'tag:': no value after 'tag:'");
    expect(refusal('stage1..lr=1')).toBe(
      "term 1 'stage1..lr=1': 'stage1..lr' is not a metric or a setting's path",
    );
    expect(refusal('tag:"open')).toBe(`an unclosed " in 'tag:"open'`);
    expect(refusal('archived:maybe')).toBe(
      "term 1 'archived:maybe': archived is one of yes, no, any, got 'maybe'",
    );
  });
});
