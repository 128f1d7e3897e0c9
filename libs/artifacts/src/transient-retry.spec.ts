import { describe, expect, it } from 'vitest';
import { withTransientRetry } from './minio-store';

const failing = (codes: (string | undefined)[], value = 'ok') => {
  let calls = 0;
  const op = async () => {
    const code = codes[calls++];
    if (calls <= codes.length)
      throw Object.assign(new Error(code ? `failed ${code}` : 'socket hang up'), { code });
    return value;
  };
  return { op, calls: () => calls };
};

describe('withTransientRetry', () => {
  it('repeats an operation through connection resets and returns its result', async () => {
    const f = failing(['ECONNRESET', undefined]);
    expect(await withTransientRetry(f.op, [1, 1, 1])).toBe('ok');
    expect(f.calls()).toBe(3);
  });

  it('gives up after the last delay with the last error', async () => {
    const f = failing(['EPIPE', 'EPIPE', 'EPIPE', 'EPIPE']);
    await expect(withTransientRetry(f.op, [1, 1, 1])).rejects.toMatchObject({ code: 'EPIPE' });
    expect(f.calls()).toBe(4);
  });

  it('does not repeat what a retry cannot fix (missing key, denied access)', async () => {
    for (const code of ['NoSuchKey', 'AccessDenied']) {
      const f = failing([code]);
      await expect(withTransientRetry(f.op, [1, 1, 1])).rejects.toMatchObject({ code });
      expect(f.calls()).toBe(1);
    }
  });
});
