import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './errors';
import {
  backboneUploadKey,
  parseBackboneUploadKey,
  accuracyRowKey,
  predictionsKey,
  checkpointFileKey,
  checkpointManifestKey,
  checkpointPrefix,
  checkpointSeqOf,
  classIdOf,
  classStatsFileKey,
  classStatsPrefix,
  datasetFileKey,
  datasetManifestKey,
  datasetPrefix,
  logKey,
  metricsSummaryKey,
  runConfigKey,
  splitFileKey,
  splitManifestKey,
  splitPrefix,
  validateBucketName,
  validateFileName,
  validateSegment,
} from './layout';

function invalid(run: () => unknown): InvalidArgumentError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return error as InvalidArgumentError;
  }
  throw new Error('expected an InvalidArgumentError');
}

describe('object layout', () => {
  it('places datasets and splits under their own folders, manifest beside the files', () => {
    expect(datasetPrefix('split-emoji')).toBe('datasets/split-emoji/');
    expect(datasetFileKey('split-emoji', 'images/007/Grin.png')).toBe(
      'datasets/split-emoji/images/007/Grin.png',
    );
    expect(datasetManifestKey('split-emoji')).toBe('datasets/split-emoji/manifest.json');
    expect(splitFileKey('emoji-1993', 'tasks.json')).toBe('splits/emoji-1993/tasks.json');
    expect(splitManifestKey('emoji-1993')).toBe('splits/emoji-1993/manifest.json');
  });

  it('places everything of a run under runs/<runId>/ with zero-padded sequence, class and task numbers', () => {
    expect(runConfigKey('r-20240101.a_1')).toBe('runs/r-20240101.a_1/config.json');
    expect(checkpointPrefix('r1', 7)).toBe('runs/r1/checkpoints/00000007/');
    expect(checkpointFileKey('r1', 12, 'weights.bin')).toBe('runs/r1/checkpoints/00000012/weights.bin');
    expect(checkpointManifestKey('r1', 99_999_999)).toBe('runs/r1/checkpoints/99999999/manifest.json');
    expect(classStatsPrefix('r1', 42)).toBe('runs/r1/stats/00042/');
    expect(classStatsFileKey('r1', 0, 'cov.f32')).toBe('runs/r1/stats/00000/cov.f32');
    expect(accuracyRowKey('r1', 3)).toBe('runs/r1/metrics/accuracy/0003.json');
    expect(predictionsKey('r1', 3)).toBe('runs/r1/metrics/predictions/0003.json');
    expect(metricsSummaryKey('r1')).toBe('runs/r1/metrics/summary.json');
    expect(logKey('r1', 'trainer.jsonl')).toBe('runs/r1/logs/trainer.jsonl');
  });

  it('sorts padded sequence numbers in numeric order, and reads them back from keys', () => {
    const keys = [10, 9, 100, 1].map((seq) => checkpointManifestKey('r1', seq)).sort();
    expect(keys.map((key) => checkpointSeqOf('r1', key))).toEqual([1, 9, 10, 100]);
    expect(checkpointSeqOf('r1', 'runs/r10/checkpoints/00000001/manifest.json')).toBeUndefined();
    expect(checkpointSeqOf('r1', 'runs/r1/checkpoints/123/manifest.json')).toBeUndefined();
    expect(classIdOf('r1', classStatsFileKey('r1', 57, 'mean.f32'))).toBe(57);
    expect(classIdOf('r1', 'runs/r1/metrics/summary.json')).toBeUndefined();
  });

  it.each([
    ['upper case', 'Run1'],
    ['a slash', 'a/b'],
    ['a parent reference', 'a..b'],
    ['a leading dot', '.hidden'],
    ['a leading dash', '-x'],
    ['emptiness', ''],
    ['64 characters', 'a'.repeat(64)],
    ['a space', 'a b'],
    ['non-ASCII', 'ré'],
  ])('rejects a run id with %s, naming the field and the value', (_label, runId) => {
    const error = invalid(() => runConfigKey(runId));
    expect(error.code).toBe('invalid_argument');
    expect(error.field).toBe('runId');
    expect(error.value).toBe(runId);
    expect(error.message).toContain('runId');
    expect(error.message).toContain(JSON.stringify(runId));
  });

  it('keeps backbone uploads under uploads/backbones/<uploadId>/<file> and reads only such keys back', () => {
    expect(backboneUploadKey('a1b2', 'vit-b-300ep.pth.tar')).toBe(
      'uploads/backbones/a1b2/vit-b-300ep.pth.tar',
    );
    expect(parseBackboneUploadKey('uploads/backbones/a1b2/vit.pt')).toEqual({
      uploadId: 'a1b2',
      file: 'vit.pt',
    });
    for (const key of [
      'backbones/vit-emoji/manifest.json',
      'uploads/backbones/a1b2',
      'uploads/backbones/a/b/c',
    ])
      expect(() => parseBackboneUploadKey(key)).toThrow(InvalidArgumentError);
    expect(() => backboneUploadKey('..', 'x.pt')).toThrow(InvalidArgumentError);
  });

  it('names the field for each kind of segment', () => {
    expect(invalid(() => datasetPrefix('../etc')).field).toBe('datasetName');
    expect(invalid(() => splitPrefix('A')).field).toBe('splitId');
    expect(invalid(() => checkpointPrefix('r1', -1)).field).toBe('checkpointSeq');
    expect(invalid(() => checkpointPrefix('r1', 1.5)).field).toBe('checkpointSeq');
    expect(invalid(() => checkpointPrefix('r1', 100_000_000)).field).toBe('checkpointSeq');
    expect(invalid(() => classStatsPrefix('r1', Number.NaN)).field).toBe('classId');
    expect(invalid(() => accuracyRowKey('r1', 10_000)).field).toBe('task');
    expect(invalid(() => predictionsKey('r1', -1)).field).toBe('task');
    expect(invalid(() => logKey('r1', '../config.json')).field).toBe('logName');
    expect(invalid(() => validateSegment('kind', 42)).message).toContain('kind 42');
  });

  it('accepts nested file names but no parent references, empty parts or a nested manifest', () => {
    expect(validateFileName('file', 'images/007/a_b-c.PNG')).toBe('images/007/a_b-c.PNG');
    for (const bad of [
      '../x',
      'a/../b',
      'a//b',
      '/a',
      'a/',
      './a',
      'manifest.json',
      'sub/manifest.json',
      '',
    ]) {
      expect(invalid(() => validateFileName('file', bad)).field).toBe('file');
    }
  });

  it('accepts S3 bucket names and nothing else', () => {
    expect(validateBucketName('bucket', 'slca')).toBe('slca');
    expect(validateBucketName('bucket', 'slca-ci.1')).toBe('slca-ci.1');
    for (const bad of ['ab', 'Slca', 'slca-', '-slca', 'a..b', 'a_b', 'x'.repeat(64)]) {
      expect(invalid(() => validateBucketName('bucket', bad)).field).toBe('bucket');
    }
  });
});
