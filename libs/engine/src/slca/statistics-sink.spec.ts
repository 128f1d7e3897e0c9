import { describe, expect, it } from 'vitest';
import { classStatistics } from './statistics';
import { decodeClassStatistics, encodeClassStatistics, MemoryStatistics } from './statistics-sink';

// Class 3 seen in four 2-d samples: (1,2) (3,2) (1,4) (3,4); mean (2,3), unbiased covariance [[4/3,0],[0,4/3]].
const feats = Float32Array.from([1, 2, 3, 2, 1, 4, 3, 4]);
const stats = classStatistics(feats, 2, [0, 1, 2, 3], 3, 1, 0);

describe('class statistics as stored bytes', () => {
  it('round-trips mean and covariance exactly and recomputes the same Cholesky factor', () => {
    const bytes = encodeClassStatistics(stats);
    expect(bytes.byteLength).toBe((2 + 4) * 8);
    expect(Array.from(new Float64Array(bytes.slice().buffer))).toEqual([2, 3, 4 / 3, 0, 0, 4 / 3]);
    const back = decodeClassStatistics(bytes, { classId: 3, task: 1, count: 4, dim: 2 });
    expect(back.mean).toEqual(stats.mean);
    expect(back.covariance).toEqual(stats.covariance);
    expect(back.cholesky).toEqual(stats.cholesky);
    expect(back.cholesky[0]).toBe(Math.sqrt(4 / 3));
  });

  it('decodes a Node Buffer that lives inside a larger pooled allocation', () => {
    const pooled = Buffer.from(encodeClassStatistics(stats));
    const inPool = Buffer.concat([Buffer.from([1, 2, 3]), pooled]).subarray(3);
    expect(inPool.byteOffset).toBeGreaterThan(0);
    const back = decodeClassStatistics(inPool, { classId: 3, task: 1, count: 4, dim: 2 });
    expect(back.mean).toEqual(stats.mean);
  });

  const meta = { classId: 3, task: 1, count: 4, dim: 2 };
  const bytesOf = (values: number[]) => new Uint8Array(Float64Array.from(values).buffer);

  it('rejects a wrong size, a non-finite value, an asymmetric or an indefinite covariance, naming the class', () => {
    expect(() => decodeClassStatistics(bytesOf([2, 3, 1, 0, 0]), meta)).toThrow(
      'class 3: statistics of dim 2 take 48 bytes, got 40',
    );
    expect(() => decodeClassStatistics(bytesOf([2, NaN, 1, 0, 0, 1]), meta)).toThrow(
      'class 3: non-finite value at index 1',
    );
    expect(() => decodeClassStatistics(bytesOf([2, 3, 1, 0.5, 0, 1]), meta)).toThrow(
      'class 3: covariance is not symmetric at (1, 0)',
    );
    expect(() => decodeClassStatistics(bytesOf([2, 3, 1, 2, 2, 1]), meta)).toThrow(
      /class 3: covariance is not positive definite/,
    );
  });

  it('the in-memory sink returns what was put, in the order asked, and names a missing class', async () => {
    const sink = new MemoryStatistics();
    await sink.put(stats);
    await sink.put({ ...stats, classId: 0 });
    expect((await sink.get([3, 0])).map((s) => s.classId)).toEqual([3, 0]);
    await expect(sink.get([0, 1])).rejects.toThrow('no statistics stored for class 1');
  });
});
