import { describe, expect, it } from 'vitest';
import { sha256Hex } from './artifact';
import {
  BACKBONE_SCHEMA,
  BACKBONE_WEIGHTS_FILE,
  getBackbone,
  listBackbones,
  putBackbone,
  type BackboneRecord,
} from './catalog';
import { MemoryObjectStore } from './memory-store';

function record(name: string, weights: Uint8Array): BackboneRecord {
  return {
    schema: BACKBONE_SCHEMA,
    name,
    archName: 'custom',
    arch: { imageSize: 16, patchSize: 8, dim: 8, depth: 1, heads: 2, mlpDim: 16 },
    digest: sha256Hex(weights),
    size: weights.length,
    tensors: 12,
    source: { file: 'tiny.pth', format: 'torch', sha256: 'ab'.repeat(32), size: 99 },
    dropped: ['head.weight'],
    registeredAt: '2026-12-02T00:00:00.000Z',
  };
}

describe('the backbone registry', () => {
  const weights = new Uint8Array([1, 2, 3, 4, 5]);

  it('stores weights and record under backbones/<name>/, committed by the manifest written last', async () => {
    const store = new MemoryObjectStore();
    const writes: string[] = [];
    const put = store.put.bind(store);
    store.put = async (key, body, options) => {
      writes.push(key);
      return put(key, body, options);
    };
    const stored = await putBackbone(store, record('tiny', weights), weights);
    expect(writes.at(-1)).toBe('backbones/tiny/manifest.json');
    expect(writes).toContain(`backbones/tiny/${BACKBONE_WEIGHTS_FILE}`);
    expect(stored.record.digest).toBe(sha256Hex(weights));
    expect([...(await stored.read())]).toEqual([1, 2, 3, 4, 5]);
    expect(await listBackbones(store)).toEqual(['tiny']);
    expect((await getBackbone(store, 'tiny')).record.dropped).toEqual(['head.weight']);
  });

  it('the same weights again is a no-op; other weights under the name are refused and nothing changes', async () => {
    const store = new MemoryObjectStore();
    await putBackbone(store, record('tiny', weights), weights);
    const again = await putBackbone(store, { ...record('tiny', weights), registeredAt: 'later' }, weights);
    expect(again.record.registeredAt).toBe('2026-12-02T00:00:00.000Z');
    const other = new Uint8Array([9, 9]);
    await expect(putBackbone(store, record('tiny', other), other)).rejects.toMatchObject({
      code: 'already_exists',
    });
    expect((await getBackbone(store, 'tiny')).record.digest).toBe(sha256Hex(weights));
  });

  it('refuses a record whose digest is not the weights’, an unknown name and a bad name', async () => {
    const store = new MemoryObjectStore();
    await expect(putBackbone(store, record('tiny', new Uint8Array([7])), weights)).rejects.toMatchObject({
      code: 'invalid_argument',
    });
    expect(await listBackbones(store)).toEqual([]);
    await expect(getBackbone(store, 'nope')).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringContaining('backbone nope is not registered'),
    });
    await expect(getBackbone(store, '../x')).rejects.toMatchObject({ code: 'invalid_argument' });
  });

  it('a corrupted stored weights file is data loss when read', async () => {
    const store = new MemoryObjectStore();
    await putBackbone(store, record('tiny', weights), weights);
    await store.put(`backbones/tiny/${BACKBONE_WEIGHTS_FILE}`, new Uint8Array([0, 0, 0, 0, 0]));
    const stored = await getBackbone(store, 'tiny');
    await expect(stored.read()).rejects.toMatchObject({ code: 'data_loss' });
  });
});
