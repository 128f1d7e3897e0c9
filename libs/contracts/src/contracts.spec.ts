import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { loadSync } from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { PROTO_FILES, protoRoot } from './index';

const projectDir = resolve(__dirname, '..');
const buf = resolve(projectDir, '../../node_modules/.bin/buf');

function bufLint(dir: string) {
  return spawnSync(buf, ['lint'], { cwd: dir, encoding: 'utf8' });
}

type MethodDefinition = { requestStream: boolean; responseStream: boolean; requestType: TypeDef };
type TypeDef = { type: { field: { name: string; type: string; typeName?: string }[] } };

describe('contracts slca.v1', () => {
  it('passes buf lint (STANDARD rules)', () => {
    const result = bufLint(projectDir);
    expect(result.stderr + result.stdout).toBe('');
    expect(result.status).toBe(0);
  });

  it('buf lint rejects a proto that breaks the rules, naming the problem', () => {
    const result = bufLint(join(projectDir, 'test/not-ok'));
    expect(result.status).not.toBe(0);
    expect(result.stdout).toMatch(/Thing.*used as the request or response type for multiple RPCs/);
    expect(result.stdout).toMatch(/thingId/);
  });

  const definition = loadSync(Object.values(PROTO_FILES), {
    includeDirs: [protoRoot()],
    keepCase: false,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  });

  it('carries no bytes fields: payloads go through the object store, messages carry keys and digests', () => {
    const withBytes = Object.entries(definition)
      .filter(([, def]) => 'type' in def && def.format === 'Protocol Buffer 3 DescriptorProto')
      .flatMap(([name, def]) =>
        (def as unknown as TypeDef).type.field
          .filter((f) => f.type === 'TYPE_BYTES')
          .map((f) => `${name}.${f.name}`),
      );
    expect(Object.keys(definition).length).toBeGreaterThan(40);
    expect(withBytes).toEqual([]);
  });

  it('declares the four services with WatchRun as the only stream', () => {
    const methods = (service: string) =>
      definition[`slca.v1.${service}`] as unknown as Record<string, MethodDefinition>;
    expect(Object.keys(methods('SplitterService')).sort()).toEqual([
      'CreateSplit',
      'GetBackbone',
      'GetDataset',
      'GetSplit',
      'ImportBenchmarkDataset',
      'ImportEmbeddedDataset',
      'ImportFolderDataset',
      'ListBackbones',
      'ListDatasets',
      'RegisterBackbone',
    ]);
    expect(Object.keys(methods('StatisticsService')).sort()).toEqual([
      'GetClassStatistics',
      'ListClassStatistics',
      'PutClassStatistics',
      'SampleFeatures',
    ]);
    expect(Object.keys(methods('EvaluatorService')).sort()).toEqual(['EvaluateCheckpoint', 'GetRunMetrics']);
    const trainer = methods('TrainerService');
    expect(Object.keys(trainer).sort()).toEqual([
      'CancelRun',
      'DeleteRun',
      'GetCatalog',
      'GetRun',
      'GetRunArtifacts',
      'ListRuns',
      'ResumeRun',
      'StartRun',
      'UpdateRun',
      'WatchRun',
    ]);
    const streaming = Object.entries(definition)
      .filter(([name]) => name.endsWith('Service'))
      .flatMap(([service, def]) =>
        Object.entries(def as unknown as Record<string, MethodDefinition>)
          .filter(([, m]) => m.requestStream || m.responseStream)
          .map(
            ([method, m]) =>
              `${service}.${method}:${m.requestStream ? 'in' : ''}${m.responseStream ? 'out' : ''}`,
          ),
      );
    expect(streaming).toEqual(['slca.v1.TrainerService.WatchRun:out']);
  });
});
