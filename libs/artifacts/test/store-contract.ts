import { describe, expect, it } from 'vitest';
import type { ObjectStore } from '../src';
import { isArtifactError } from '../src';

/**
 * What every ObjectStore must do, run against the memory store and against the real S3 server, so code
 * unit-tested over memory meets the same behaviour in production.
 */
export function objectStoreContract(name: string, store: () => ObjectStore): void {
  describe(`${name} honours the ObjectStore contract`, () => {
    it('puts, gets, stats and removes bytes', async () => {
      const s = store();
      const body = Buffer.from([0, 1, 2, 250, 255]);
      await s.put('contract/a/b.bin', body);
      expect(await s.get('contract/a/b.bin')).toEqual(body);
      expect(await s.stat('contract/a/b.bin')).toMatchObject({ key: 'contract/a/b.bin', size: 5 });
      expect(await s.exists('contract/a/b.bin')).toBe(true);
      await s.remove('contract/a/b.bin');
      expect(await s.exists('contract/a/b.bin')).toBe(false);
      await s.remove('contract/a/b.bin');
    });

    it('stores an empty object', async () => {
      const s = store();
      await s.put('contract/empty', new Uint8Array(0));
      expect((await s.get('contract/empty')).length).toBe(0);
      expect((await s.stat('contract/empty')).size).toBe(0);
    });

    it('replaces an object whole', async () => {
      const s = store();
      await s.put('contract/replace', Buffer.from('first version'));
      await s.put('contract/replace', Buffer.from('2nd'));
      expect((await s.get('contract/replace')).toString()).toBe('2nd');
    });

    it('answers not_found for a missing key on get and stat', async () => {
      const s = store();
      for (const read of [() => s.get('contract/missing'), () => s.stat('contract/missing')]) {
        const error: unknown = await read().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isArtifactError(error) && error.code).toBe('not_found');
      }
    });

    it('lists keys under a prefix only, recursively and sorted', async () => {
      const s = store();
      for (const key of ['list/r10/x', 'list/r1/b/c', 'list/r1/a', 'list/r2/a'])
        await s.put(key, Buffer.from(key));
      expect(await s.list('list/r1/')).toEqual(['list/r1/a', 'list/r1/b/c']);
      expect(await s.list('list/')).toEqual(['list/r1/a', 'list/r1/b/c', 'list/r10/x', 'list/r2/a']);
      expect(await s.list('list/none/')).toEqual([]);
    });

    it('refuses malformed keys with invalid_argument', async () => {
      const s = store();
      for (const key of ['', '/abs', 'a//b', 'a/../b', 'trailing/']) {
        const error: unknown = await s.put(key, Buffer.from('x')).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isArtifactError(error) && error.code).toBe('invalid_argument');
      }
    });
  });
}
