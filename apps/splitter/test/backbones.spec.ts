import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { status } from '@grpc/grpc-js';
import { backboneUploadKey, getBackbone } from '@slca/artifacts';
import { backboneFromBytes, EMBEDDED_ARCH, loadEmbeddedBackbone, prepareBackbone } from '@slca/engine';
import { INVALID_FIELD_METADATA_KEY } from '@slca/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  failure,
  present,
  startServiceUnderTest,
  startObjectStore,
  type ObjectStoreFixture,
  type ServiceUnderTest,
} from '@slca/stack';

const fixtures = resolve(__dirname, '../../../libs/engine/test/fixtures/torch');
const tinyArch = JSON.stringify({ imageSize: 8, patchSize: 4, dim: 8, depth: 1, heads: 2, mlpDim: 16 });

let stack: ObjectStoreFixture;
let service: ServiceUnderTest<'splitter'>;
let client: ServiceUnderTest<'splitter'>['client'];
let dir: string;

beforeAll(async () => {
  stack = await startObjectStore();
  service = await startServiceUnderTest('splitter', stack, 60_000);
  client = service.client;
  dir = mkdtempSync(join(tmpdir(), 'slca-backbones-'));
}, 60_000);

afterAll(async () => {
  await service?.stop();
  await stack?.close();
});

const register = (name: string, path: string, arch = tinyArch) =>
  client.registerBackbone({ name, arch, path });

describe('the backbone registry over gRPC', () => {
  it('registers the embedded backbone by itself; its stored weights are the shipped values bit for bit', async () => {
    const { backbone } = await client.getBackbone({ name: 'vit-emoji' });
    const stored = present(backbone);
    expect(stored.archName).toBe('vit-emoji');
    const bytes = await (await getBackbone(stack.store, 'vit-emoji')).read();
    const { values } = backboneFromBytes(new Uint8Array(bytes), { ...EMBEDDED_ARCH });
    expect(Buffer.from(values.buffer).equals(Buffer.from((await loadEmbeddedBackbone()).values.buffer))).toBe(
      true,
    );
  });

  it('a torch.save file and a MoCo v3 checkpoint of the same weights register with one digest', async () => {
    const fromTorch = present((await register('tiny-torch', join(fixtures, 'vit-tiny.pt'))).backbone);
    const fromMoco = present((await register('tiny-moco', join(fixtures, 'vit-tiny-moco.pth.tar'))).backbone);
    const fromSafetensors = present(
      (await register('tiny-st', join(fixtures, 'vit-tiny.safetensors'))).backbone,
    );
    expect(fromTorch.digest).toBe(fromSafetensors.digest);
    expect(fromMoco.digest).toBe(fromSafetensors.digest);
    expect(fromMoco.sourceFormat).toBe('torch');
    expect(fromMoco.sourceFile).toBe('vit-tiny-moco.pth.tar');
    expect(fromMoco.dropped.some((n) => n.includes('momentum_encoder'))).toBe(true);
    expect(fromSafetensors.sourceFormat).toBe('safetensors');
    expect(fromTorch.archName).toBe('custom');
    // Idempotent: the same file again returns the same record.
    expect(
      present((await register('tiny-torch', join(fixtures, 'vit-tiny.pt'))).backbone).registeredAtMs,
    ).toBe(fromTorch.registeredAtMs);
    const { backbones } = await client.listBackbones({});
    expect(backbones.map((b) => b.name)).toEqual(
      expect.arrayContaining(['tiny-moco', 'tiny-st', 'tiny-torch', 'vit-emoji']),
    );
    const expected = prepareBackbone(
      new Uint8Array(readFileSync(join(fixtures, 'vit-tiny.pt'))),
      JSON.parse(tinyArch),
      'x',
    );
    expect(fromTorch.digest).toBe(expected.digest);
  });

  it('refuses bad input with the field, and stores nothing', async () => {
    const wide = JSON.stringify({ imageSize: 8, patchSize: 4, dim: 16, depth: 1, heads: 2, mlpDim: 16 });
    const shape = await failure(register('tiny-wide', join(fixtures, 'vit-tiny.pt'), wide));
    expect(shape.code).toBe(status.INVALID_ARGUMENT);
    expect(shape.metadata.get(INVALID_FIELD_METADATA_KEY)).toEqual(['path']);
    expect(shape.details).toMatch(/tensor '[^']+' has shape \[[\d,]+\], expected \[[\d,]+\]/);

    const evil = await failure(register('evil', join(fixtures, 'malicious.pt')));
    expect(evil.code).toBe(status.INVALID_ARGUMENT);
    expect(evil.details).toMatch(/refusing global/);

    const junk = join(dir, 'junk.bin');
    writeFileSync(junk, 'not weights at all');
    expect((await failure(register('junk', junk))).code).toBe(status.INVALID_ARGUMENT);
    const badArch = await failure(register('tiny-bad', join(fixtures, 'vit-tiny.pt'), 'vit-z99'));
    expect(badArch.metadata.get(INVALID_FIELD_METADATA_KEY)).toEqual(['arch']);
    const relative = await failure(register('tiny-rel', 'vit-tiny.pt'));
    expect(relative.metadata.get(INVALID_FIELD_METADATA_KEY)).toEqual(['path']);
    expect((await failure(register('Bad Name', join(fixtures, 'vit-tiny.pt')))).code).toBe(
      status.INVALID_ARGUMENT,
    );
    for (const name of ['tiny-wide', 'evil', 'junk', 'tiny-bad', 'tiny-rel'])
      expect((await failure(client.getBackbone({ name }))).code).toBe(status.NOT_FOUND);
  });

  it('registers weights a client put under uploads/backbones/ after checking size and SHA-256, then removes the upload', async () => {
    const bytes = readFileSync(join(fixtures, 'vit-tiny-moco.pth.tar'));
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const put = async (id: string) => {
      const key = backboneUploadKey(id, 'vit-tiny-moco.pth.tar');
      await stack.store.put(key, new Uint8Array(bytes));
      return key;
    };
    const upload = (name: string, ref: { key: string; size?: number; sha256?: string }, path = '') =>
      client.registerBackbone({
        name,
        arch: tinyArch,
        path,
        upload: { size: bytes.length, sha256, ...ref },
      });
    const key = await put('u1');
    const fromUpload = present((await upload('tiny-uploaded', { key })).backbone);
    expect(fromUpload.sourceFile).toBe('vit-tiny-moco.pth.tar');
    expect(fromUpload.sourceSha256).toBe(sha256);
    expect(fromUpload.digest).toBe(prepareBackbone(new Uint8Array(bytes), JSON.parse(tinyArch), 'x').digest);
    expect(await stack.store.exists(key)).toBe(false);

    // Refused: the upload's digest or size is not the request's, the key is outside the uploads, the upload
    // is missing, or a path is given as well. Each names its field; nothing is registered, no upload stays.
    const refusals: [() => Promise<unknown>, string][] = [
      [async () => upload('up-sha', { key: await put('u2'), sha256: '0'.repeat(64) }), 'upload.sha256'],
      [async () => upload('up-size', { key: await put('u3'), size: 5 }), 'upload.size'],
      [async () => upload('up-key', { key: 'backbones/vit-emoji/manifest.json' }), 'upload.key'],
      [async () => upload('up-both', { key: await put('u5') }, join(fixtures, 'vit-tiny.pt')), 'path'],
    ];
    for (const [call, field] of refusals) {
      const error = await failure(call());
      expect(error.code).toBe(status.INVALID_ARGUMENT);
      expect(error.metadata.get(INVALID_FIELD_METADATA_KEY)).toEqual([field]);
    }
    const missing = await failure(upload('up-missing', { key: backboneUploadKey('u4', 'gone.pt') }));
    expect(missing.code).toBe(status.NOT_FOUND);
    expect(missing.details).toBe('no upload uploads/backbones/u4/gone.pt in the object store');
    for (const name of ['up-sha', 'up-size', 'up-key', 'up-missing'])
      expect((await failure(client.getBackbone({ name }))).code).toBe(status.NOT_FOUND);
    // The refused uploads are removed too; the one sent with a path as well was never read, and stays.
    expect(await stack.store.list('uploads/backbones/')).toEqual([
      backboneUploadKey('u5', 'vit-tiny-moco.pth.tar'),
    ]);
  });

  it('other weights under a registered name are ALREADY_EXISTS, and the stored weights stay', async () => {
    const other = join(dir, 'other.safetensors');
    copyFileSync(join(fixtures, 'vit-tiny-f16.safetensors'), other);
    const before = present((await client.getBackbone({ name: 'tiny-st' })).backbone);
    const clash = await failure(register('tiny-st', other));
    expect(clash.code).toBe(status.ALREADY_EXISTS);
    const after = present((await client.getBackbone({ name: 'tiny-st' })).backbone);
    expect(after.digest).toBe(before.digest);
  });
});
