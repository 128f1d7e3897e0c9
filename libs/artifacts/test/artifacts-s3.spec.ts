import { createHash } from 'node:crypto';
import { Client } from 'minio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ArtifactError,
  DigestMismatchError,
  type ObjectStore,
  SINGLE_PUT_LIMIT_BYTES,
  checkpointFileKey,
  checkpointPrefix,
  isArtifactError,
  latestCheckpoint,
  listArtifacts,
  readArtifact,
  readArtifactFile,
  readArtifactManifest,
  splitPrefix,
  writeArtifact,
} from '../src';
import { type S3Fixture, startS3Fixture } from './local-s3-fixture';
import { objectStoreContract } from './store-contract';

let fixture: S3Fixture;
beforeAll(async () => {
  fixture = await startS3Fixture();
});
afterAll(async () => {
  await fixture?.close();
});

async function failure(promise: Promise<unknown>): Promise<ArtifactError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isArtifactError(error)) throw new Error(`expected an ArtifactError, got ${String(error)}`);
  return error;
}

/** Passes everything through but "dies" when asked to write a manifest: the crash between the two phases. */
function crashingBeforeCommit(store: ObjectStore): ObjectStore {
  return {
    description: `crashing ${store.description}`,
    put: async (key, body, options) => {
      if (key.endsWith('/manifest.json')) throw new Error('simulated crash before commit');
      await store.put(key, body, options);
    },
    get: (key) => store.get(key),
    stat: (key) => store.stat(key),
    exists: (key) => store.exists(key),
    list: (prefix) => store.list(prefix),
    remove: (key) => store.remove(key),
  };
}

/** Bytes that differ at every position, so a tampered or misplaced byte cannot go unnoticed. */
function pattern(size: number, seed: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seed * 17 + (i >>> 8)) & 0xff;
  return bytes;
}

objectStoreContract('MinioObjectStore against s3rver', () => fixture.store);

describe('artifacts through the minio client against a real s3rver child process', () => {
  it('round-trips files, meta and digests', async () => {
    const files = {
      'weights.bin': pattern(100_000, 1),
      'head/classifier.json': Buffer.from('{"classes":10}'),
    };
    const written = await writeArtifact(fixture.store, 'splits/emoji-1993/', 'split', files, {
      seed: 1993,
      tasks: 10,
    });
    expect(written.files.map((file) => [file.name, file.key, file.size])).toEqual([
      ['weights.bin', 'splits/emoji-1993/weights.bin', 100_000],
      ['head/classifier.json', 'splits/emoji-1993/head/classifier.json', 14],
    ]);
    expect(written.files[0].sha256).toBe(createHash('sha256').update(files['weights.bin']).digest('hex'));

    const read = await readArtifact(fixture.store, splitPrefix('emoji-1993'));
    expect(read.manifest).toEqual(written);
    expect(read.manifest.meta).toEqual({ seed: 1993, tasks: 10 });
    expect(read.files.get('weights.bin')).toEqual(files['weights.bin']);
    expect(read.files.get('head/classifier.json')?.toString()).toBe('{"classes":10}');
    expect(await readArtifactFile(fixture.store, 'splits/emoji-1993', 'weights.bin')).toEqual(
      files['weights.bin'],
    );
    // Only the files and their manifest are under the prefix.
    expect(await fixture.store.list('splits/emoji-1993/')).toEqual([
      'splits/emoji-1993/head/classifier.json',
      'splits/emoji-1993/manifest.json',
      'splits/emoji-1993/weights.bin',
    ]);
  });

  it('keeps an artifact invisible until its manifest is written (crash between files and manifest)', async () => {
    const prefix = checkpointPrefix('crash-run', 1);
    const crashing = crashingBeforeCommit(fixture.store);
    await expect(
      writeArtifact(crashing, prefix, 'checkpoint', { 'weights.bin': pattern(5000, 2) }),
    ).rejects.toThrow('simulated crash');

    expect(await fixture.store.list(prefix)).toEqual([`${prefix}weights.bin`]);
    expect(await listArtifacts(fixture.store, 'runs/crash-run/')).toEqual([]);
    expect(await latestCheckpoint(fixture.store, 'crash-run')).toBeUndefined();
    const error = await failure(readArtifact(fixture.store, prefix));
    expect(error.code).toBe('not_found');
    expect((await failure(readArtifactFile(fixture.store, prefix, 'weights.bin'))).code).toBe('not_found');

    // The writer retries after the crash: leftovers are overwritten and the artifact commits.
    await writeArtifact(fixture.store, prefix, 'checkpoint', { 'weights.bin': pattern(6000, 3) });
    expect((await readArtifact(fixture.store, prefix)).files.get('weights.bin')).toEqual(pattern(6000, 3));
    expect(await listArtifacts(fixture.store, 'runs/crash-run/')).toEqual([prefix]);
  });

  it('reports a tampered file as data_loss naming the file and both digests', async () => {
    const prefix = checkpointPrefix('tamper-run', 1);
    const original = pattern(4096, 4);
    await writeArtifact(fixture.store, prefix, 'checkpoint', {
      'weights.bin': original,
      'state.json': Buffer.from('{}'),
    });

    const tampered = Buffer.from(original);
    tampered[1234] ^= 0x01;
    await fixture.store.put(checkpointFileKey('tamper-run', 1, 'weights.bin'), tampered);

    const error = await failure(readArtifact(fixture.store, prefix));
    expect(error).toBeInstanceOf(DigestMismatchError);
    expect(error.code).toBe('data_loss');
    const mismatch = error as DigestMismatchError;
    const expectedDigest = createHash('sha256').update(original).digest('hex');
    const actualDigest = createHash('sha256').update(tampered).digest('hex');
    expect(mismatch.file).toBe('weights.bin');
    expect(mismatch.expected).toEqual({ size: 4096, sha256: expectedDigest });
    expect(mismatch.actual).toEqual({ size: 4096, sha256: actualDigest });
    expect(error.message).toContain('"weights.bin"');
    expect(error.message).toContain(expectedDigest);
    expect(error.message).toContain(actualDigest);
    expect((await failure(readArtifactFile(fixture.store, prefix, 'weights.bin'))).code).toBe('data_loss');
    // The intact file of the same artifact still reads.
    expect((await readArtifactFile(fixture.store, prefix, 'state.json')).toString()).toBe('{}');

    // A truncated file, and a deleted one, are data loss too.
    await fixture.store.put(checkpointFileKey('tamper-run', 1, 'weights.bin'), original.subarray(0, 4000));
    expect((await failure(readArtifactFile(fixture.store, prefix, 'weights.bin'))).message).toMatch(
      /4096 bytes.*4000 bytes/,
    );
    await fixture.store.remove(checkpointFileKey('tamper-run', 1, 'weights.bin'));
    const missing = await failure(readArtifact(fixture.store, prefix));
    expect(missing.code).toBe('data_loss');
    expect(missing.message).toContain('"weights.bin"');
  });

  it('refuses to overwrite a committed artifact and leaves it intact', async () => {
    const prefix = checkpointPrefix('immutable-run', 1);
    const first = await writeArtifact(
      fixture.store,
      prefix,
      'checkpoint',
      { 'weights.bin': pattern(2048, 5) },
      { step: 1 },
    );
    const error = await failure(
      writeArtifact(fixture.store, prefix, 'checkpoint', { 'weights.bin': pattern(2048, 6) }, { step: 2 }),
    );
    expect(error.code).toBe('already_exists');
    expect(error.message).toContain(prefix);
    const read = await readArtifact(fixture.store, prefix);
    expect(read.manifest).toEqual(first);
    expect(read.files.get('weights.bin')).toEqual(pattern(2048, 5));
  });

  it('refuses bad ids and file names with invalid_argument naming the field, writing nothing', async () => {
    const before = await fixture.store.list('');
    const cases: [() => Promise<unknown>, string, unknown][] = [
      [
        () => writeArtifact(fixture.store, checkpointPrefix('../escape', 1), 'checkpoint', {}),
        'runId',
        '../escape',
      ],
      [() => writeArtifact(fixture.store, checkpointPrefix('ok', -3), 'checkpoint', {}), 'checkpointSeq', -3],
      [() => writeArtifact(fixture.store, 'runs/ok/x/', 'Check Point', {}), 'kind', 'Check Point'],
      [
        () =>
          writeArtifact(fixture.store, 'runs/ok/x/', 'checkpoint', {
            'a.bin': Buffer.from('a'),
            '../b.bin': Buffer.from('b'),
          }),
        'files[1].name',
        '../b.bin',
      ],
      [
        () =>
          writeArtifact(fixture.store, 'runs/ok/x/', 'checkpoint', { 'manifest.json': Buffer.from('{}') }),
        'files[0].name',
        'manifest.json',
      ],
      [() => writeArtifact(fixture.store, 'runs//x/', 'checkpoint', {}), 'prefix', 'runs//x'],
      [() => latestCheckpoint(fixture.store, 'Bad Run'), 'runId', 'Bad Run'],
    ];
    for (const [run, field, value] of cases) {
      const error = await failure(Promise.resolve().then(run));
      expect(error.code).toBe('invalid_argument');
      expect(error).toMatchObject({ field, value });
      expect(error.message).toContain(field);
    }
    expect(await fixture.store.list('')).toEqual(before);
  });

  it('lists past 1,000 keys (the page size), all of them, in order', async () => {
    const keys = Array.from({ length: 1_050 }, (_, i) => `many/k${String(i).padStart(5, '0')}`);
    for (let i = 0; i < keys.length; i += 50)
      await Promise.all(keys.slice(i, i + 50).map((k) => fixture.store.put(k, Buffer.from('x'))));
    expect(await fixture.store.list('many/')).toEqual(keys);
  }, 120_000);

  it('uploads a 20 MiB file in a single PUT (the server has no multipart upload)', async () => {
    const size = 20 * 1024 * 1024;
    const big = pattern(size, 7);

    // Control: the same upload split into 5 MiB parts takes the multipart path, which this server lacks.
    const multipart = new Client({
      endPoint: '127.0.0.1',
      port: fixture.s3.port,
      useSSL: false,
      accessKey: fixture.s3.accessKey,
      secretKey: fixture.s3.secretKey,
      region: 'us-east-1',
      partSize: 5 * 1024 * 1024,
    });
    await expect(multipart.putObject('slca', 'control/big.bin', big, size)).rejects.toMatchObject({
      code: 'NotImplemented',
    });

    expect(SINGLE_PUT_LIMIT_BYTES).toBeGreaterThan(64 * 1024 * 1024);
    const prefix = checkpointPrefix('big-run', 1);
    await writeArtifact(fixture.store, prefix, 'checkpoint', { 'weights.bin': big });
    expect((await fixture.store.stat(`${prefix}weights.bin`)).size).toBe(size);
    expect((await readArtifactFile(fixture.store, prefix, 'weights.bin')).equals(big)).toBe(true);
  });

  it('finds the latest committed checkpoint of a run, by number, ignoring uncommitted ones and other runs', async () => {
    for (const seq of [1, 2, 9, 10]) {
      await writeArtifact(
        fixture.store,
        checkpointPrefix('resume-run', seq),
        'checkpoint',
        { 'weights.bin': pattern(64, seq) },
        { seq },
      );
    }
    await expect(
      writeArtifact(crashingBeforeCommit(fixture.store), checkpointPrefix('resume-run', 11), 'checkpoint', {
        'weights.bin': pattern(64, 11),
      }),
    ).rejects.toThrow();
    // A run whose id extends this one's must not leak into it.
    await writeArtifact(fixture.store, checkpointPrefix('resume-run2', 50), 'checkpoint', {
      'weights.bin': pattern(64, 50),
    });

    const latest = await latestCheckpoint(fixture.store, 'resume-run');
    expect(latest).toMatchObject({
      seq: 10,
      prefix: 'runs/resume-run/checkpoints/00000010/',
      manifest: { meta: { seq: 10 } },
    });
    expect((await readArtifact(fixture.store, latest?.prefix ?? 'none/')).files.get('weights.bin')).toEqual(
      pattern(64, 10),
    );
    expect(await listArtifacts(fixture.store, 'runs/resume-run/checkpoints/')).toEqual(
      [1, 2, 9, 10].map((seq) => checkpointPrefix('resume-run', seq)),
    );
    expect(await latestCheckpoint(fixture.store, 'never-started')).toBeUndefined();
  });

  it('reads the manifest alone without fetching files', async () => {
    const prefix = checkpointPrefix('manifest-only', 1);
    await writeArtifact(
      fixture.store,
      prefix,
      'checkpoint',
      { 'weights.bin': pattern(128, 8) },
      { task: 0 },
      { now: () => new Date('2024-01-02T03:04:05Z') },
    );
    await fixture.store.remove(`${prefix}weights.bin`);
    const manifest = await readArtifactManifest(fixture.store, prefix);
    expect(manifest).toMatchObject({
      kind: 'checkpoint',
      meta: { task: 0 },
      createdAt: '2024-01-02T03:04:05.000Z',
    });
  });
});
