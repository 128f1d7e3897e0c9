import { describe, expect, it } from 'vitest';
import { parseDatasetRoots } from './server-paths';

describe('SLCA_DATASET_ROOTS', () => {
  it('is a `:`-separated list of absolute folders, normalised, empty entries ignored', () => {
    expect(parseDatasetRoots(undefined)).toEqual([]);
    expect(parseDatasetRoots('')).toEqual([]);
    expect(parseDatasetRoots('/data/a/:: /srv/x/../y')).toEqual(['/data/a', '/srv/y']);
  });

  it('refuses a relative entry, naming its position', () => {
    expect(() => parseDatasetRoots('/data:datasets')).toThrow(
      "SLCA_DATASET_ROOTS[1] must be an absolute folder, got 'datasets'",
    );
  });
});
