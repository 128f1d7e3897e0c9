import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isArtifactError, MinioObjectStore, StoreConfig } from '../src';
import { type S3Fixture, startS3Fixture } from './local-s3-fixture';

let fixture: S3Fixture;
beforeAll(async () => {
  fixture = await startS3Fixture();
  await fixture.store.put('secured/object.txt', Buffer.from('only for key holders'));
});
afterAll(async () => {
  await fixture?.close();
});

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (e: unknown) => e,
  );
}

function storeWith(accessKey: string, secretKey: string): MinioObjectStore {
  return new MinioObjectStore(StoreConfig.from({ endpoint: fixture.s3.endpoint, accessKey, secretKey }));
}

describe('the local S3 server (s3rver in a child process)', () => {
  it('runs in a separate process on 127.0.0.1 with the returned credentials', () => {
    expect(fixture.s3.pid).not.toBe(process.pid);
    expect(fixture.s3.endpoint).toBe(`http://127.0.0.1:${fixture.s3.port}`);
    expect(fixture.s3.config.endpoint).toBe(fixture.s3.endpoint);
    expect(fixture.s3.config.accessKey).toBe(fixture.s3.accessKey);
    expect(fixture.s3.config.secretKey).toBe(fixture.s3.secretKey);
    expect(fixture.s3.secretKey.length).toBeGreaterThanOrEqual(20);
  });

  it('rejects a wrong secret key (V4 signature check) and writes nothing', async () => {
    const wrong = storeWith(fixture.s3.accessKey, `${fixture.s3.secretKey}x`);
    const read = await errorOf(wrong.get('secured/object.txt'));
    expect(isArtifactError(read) && read.code).toBe('permission_denied');
    expect(read).toMatchObject({ s3Code: 'SignatureDoesNotMatch' });
    const write = await errorOf(wrong.put('secured/intruder.txt', Buffer.from('x')));
    expect(write).toMatchObject({ code: 'permission_denied', s3Code: 'SignatureDoesNotMatch' });
    expect(await fixture.store.exists('secured/intruder.txt')).toBe(false);
  });

  it('rejects an unknown access key, including s3rver’s built-in S3RVER/S3RVER', async () => {
    expect(
      await errorOf(storeWith('someone-else', fixture.s3.secretKey).get('secured/object.txt')),
    ).toMatchObject({
      code: 'permission_denied',
      s3Code: 'InvalidAccessKeyId',
    });
    expect(await errorOf(storeWith('S3RVER', 'S3RVER').list('secured/'))).toMatchObject({
      code: 'permission_denied',
      s3Code: 'InvalidAccessKeyId',
    });
  });

  it('refuses anonymous (unsigned) requests, which plain s3rver would serve', async () => {
    const url = `${fixture.s3.endpoint}/slca/secured/object.txt`;
    const get = await fetch(url);
    expect(get.status).toBe(403);
    expect(await get.text()).toContain('AccessDenied');
    const put = await fetch(`${fixture.s3.endpoint}/slca/secured/anonymous.txt`, {
      method: 'PUT',
      body: 'x',
    });
    expect(put.status).toBe(403);
    await put.arrayBuffer();
    expect(await fixture.store.exists('secured/anonymous.txt')).toBe(false);
    expect((await fetch(`${fixture.s3.endpoint}/`)).status).toBe(403);
  });

  it('creates the bucket once and reports whether it did', async () => {
    expect(await fixture.store.ensureBucket()).toBe(false);
  });

  it('stop() ends the child cleanly: exit code 0, process gone, port closed', async () => {
    const { pid, endpoint } = fixture.s3;
    expect(await fixture.s3.stop()).toBe(0);
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    await expect(fetch(endpoint)).rejects.toThrow();
    expect(await fixture.s3.stop()).toBe(0);
    const unreachable = await errorOf(fixture.store.get('secured/object.txt'));
    expect(unreachable).toMatchObject({ code: 'unavailable' });
  });
});
