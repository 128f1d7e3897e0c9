import { describe, expect, it } from 'vitest';
import {
  listArtifacts,
  readArtifact,
  readArtifactFile,
  removeArtifact,
  writeArtifact,
  artifactExists,
  manifestKeyOf,
} from './artifact';
import { isArtifactError } from './errors';
import { MemoryObjectStore } from './memory-store';

async function code(promise: Promise<unknown>): Promise<string | undefined> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  return isArtifactError(error) ? error.code : `not an ArtifactError: ${String(error)}`;
}

describe('artifacts over the memory store', () => {
  it('treats a corrupt manifest as data loss, not as absence', async () => {
    const store = new MemoryObjectStore();
    await writeArtifact(store, 'splits/s1/', 'split', { 'a.json': Buffer.from('[]') });
    for (const corrupt of [
      '{not json',
      '[]',
      '{"kind":"split","files":[{"name":"a.json","key":"elsewhere/a.json","size":2,"sha256":"00"}],"meta":{},"createdAt":"x"}',
    ]) {
      await store.put('splits/s1/manifest.json', Buffer.from(corrupt));
      expect(await code(readArtifact(store, 'splits/s1/'))).toBe('data_loss');
    }
  });

  it('lists committed artifacts at any depth and nothing else', async () => {
    const store = new MemoryObjectStore();
    await writeArtifact(store, 'runs/r1/checkpoints/00000001', 'checkpoint', { 'w.bin': Buffer.from('w') });
    await writeArtifact(store, 'runs/r1/stats/00003', 'class-stats', { 'mean.f32': Buffer.from('m') });
    await store.put('runs/r1/checkpoints/00000002/w.bin', Buffer.from('half'));
    await store.put('runs/r1/config.json', Buffer.from('{}'));
    expect(await listArtifacts(store, 'runs/r1/')).toEqual([
      'runs/r1/checkpoints/00000001/',
      'runs/r1/stats/00003/',
    ]);
    expect(await listArtifacts(store, '')).toEqual(['runs/r1/checkpoints/00000001/', 'runs/r1/stats/00003/']);
  });

  it('refuses duplicate names and non-object meta', async () => {
    const store = new MemoryObjectStore();
    const duplicate = [
      { name: 'a', body: Buffer.from('1') },
      { name: 'a', body: Buffer.from('2') },
    ];
    expect(await code(writeArtifact(store, 'splits/s2/', 'split', duplicate))).toBe('invalid_argument');
    expect(
      await code(writeArtifact(store, 'splits/s2/', 'split', {}, [] as unknown as Record<string, unknown>)),
    ).toBe('invalid_argument');
    expect(await store.list('')).toEqual([]);
  });

  it('answers not_found for a file the artifact does not have', async () => {
    const store = new MemoryObjectStore();
    await writeArtifact(store, 'splits/s3/', 'split', { 'a.json': Buffer.from('[]') });
    expect(await code(readArtifactFile(store, 'splits/s3/', 'b.json'))).toBe('not_found');
  });

  it('removes an artifact manifest first, so it is never seen with files missing', async () => {
    const store = new MemoryObjectStore();
    await writeArtifact(store, 'runs/r1/checkpoints/00000001/', 'checkpoint', { 'w.bin': Buffer.from('w') });
    const removed: string[] = [];
    const recording = Object.assign(Object.create(store) as MemoryObjectStore, {
      remove: async (key: string) => {
        removed.push(key);
        await store.remove(key);
      },
    });
    await removeArtifact(recording, 'runs/r1/checkpoints/00000001/');
    expect(removed).toEqual([
      manifestKeyOf('runs/r1/checkpoints/00000001/'),
      'runs/r1/checkpoints/00000001/w.bin',
    ]);
    expect(await artifactExists(store, 'runs/r1/checkpoints/00000001/')).toBe(false);
    expect(await store.list('')).toEqual([]);
  });

  it('keeps stored bytes apart from the caller’s buffers', async () => {
    const store = new MemoryObjectStore();
    const body = Buffer.from('abc');
    await store.put('k', body);
    body[0] = 0x7a;
    const read = await store.get('k');
    read[1] = 0x7a;
    expect((await store.get('k')).toString()).toBe('abc');
  });
});
