import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { objectStoreContract } from '../test/store-contract';
import { FileObjectStore } from './file-store';

const root = mkdtempSync(join(tmpdir(), 'slca-file-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

objectStoreContract('FileObjectStore', () => new FileObjectStore(root));

it('keeps one file per key under its root and leaves no temporary file behind', async () => {
  const dir = mkdtempSync(join(root, 'layout-'));
  const store = new FileObjectStore(dir);
  await store.put('backbones/tiny/weights.safetensors', new Uint8Array([1, 2]));
  await store.put('backbones/tiny/weights.safetensors', new Uint8Array([3]));
  expect(readdirSync(join(dir, 'backbones', 'tiny'))).toEqual(['weights.safetensors']);
  expect([...(await store.get('backbones/tiny/weights.safetensors'))]).toEqual([3]);
  await expect(store.get('backbones/tiny')).rejects.toMatchObject({ code: 'not_found' });
});
