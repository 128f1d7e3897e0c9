import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Mt19937 } from '@slca/data';
import { describe, expect, it } from 'vitest';
import { paramCount, paramSpecs, VIT_PRESETS, type VitArch } from '@slca/compute';
import { writeSafetensorsFile } from './safetensors';
import { backboneFromTimm, backboneToTimm, loadBackbone, randomBackbone, saveBackbone } from './vit-weights';

const ARCH: VitArch = { imageSize: 8, patchSize: 4, dim: 8, depth: 2, heads: 2, mlpDim: 16 };

function timm(arch: VitArch) {
  return backboneToTimm(randomBackbone(arch, new Mt19937(1)), arch);
}

describe('ViT weights in timm naming', () => {
  it('lists exactly the tensors of timm ViT-B/16 with their shapes and 86M parameters', () => {
    const specs = paramSpecs(VIT_PRESETS['vit-b16']);
    const byName = new Map(specs.map((s) => [s.name, s.timmShape]));
    expect(byName.get('patch_embed.proj.weight')).toEqual([768, 3, 16, 16]);
    expect(byName.get('pos_embed')).toEqual([1, 197, 768]);
    expect(byName.get('blocks.11.attn.qkv.weight')).toEqual([2304, 768]);
    expect(byName.get('blocks.0.mlp.fc1.weight')).toEqual([3072, 768]);
    expect(byName.get('norm.bias')).toEqual([768]);
    expect(specs).toHaveLength(4 + 12 * 12 + 2);
    // timm vit_base_patch16_224 without its classifier: 85,798,656 parameters
    expect(paramCount(VIT_PRESETS['vit-b16'])).toBe(85_798_656);
  });

  it('round-trips through a safetensors file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slca-weights-'));
    const values = randomBackbone(ARCH, new Mt19937(2));
    await saveBackbone(join(dir, 'b.safetensors'), values, ARCH, { note: 'test' });
    const loaded = await loadBackbone(join(dir, 'b.safetensors'), ARCH);
    expect(Array.from(loaded.values)).toEqual(Array.from(values));
    expect(loaded.metadata.note).toBe('test');
  });

  it('ignores a pre-training classifier (head.*) as timm checkpoints carry one', () => {
    const t = timm(ARCH);
    t.set('head.weight', { shape: [5, 8], data: new Float32Array(40) });
    expect(() => backboneFromTimm(t, ARCH)).not.toThrow();
  });

  it('names a missing tensor', () => {
    const t = timm(ARCH);
    t.delete('blocks.1.attn.proj.bias');
    expect(() => backboneFromTimm(t, ARCH, 'w.safetensors')).toThrow(
      "w.safetensors: missing tensor 'blocks.1.attn.proj.bias' (expected shape [8])",
    );
  });

  it('names a tensor whose shape does not fit the architecture', () => {
    const t = timm({ ...ARCH, imageSize: 12 });
    expect(() => backboneFromTimm(t, ARCH, 'w')).toThrow(
      "w: tensor 'pos_embed' has shape [1,10,8], expected [1,5,8] for this architecture",
    );
  });

  it('names an unexpected tensor (a deeper checkpoint)', () => {
    const t = timm({ ...ARCH, depth: 3 });
    expect(() => backboneFromTimm(t, ARCH, 'w')).toThrow(
      "w: unexpected tensor 'blocks.2.norm1.weight' for a ViT with 2 blocks (dim 8)",
    );
  });

  it('names a tensor with a non-finite value', async () => {
    const t = timm(ARCH);
    const cls = t.get('cls_token');
    if (cls) cls.data[3] = Number.POSITIVE_INFINITY;
    const dir = mkdtempSync(join(tmpdir(), 'slca-weights-'));
    await writeSafetensorsFile(join(dir, 'inf.safetensors'), t);
    await expect(loadBackbone(join(dir, 'inf.safetensors'), ARCH)).rejects.toThrow(
      /tensor 'cls_token' contains a non-finite value at index 3/,
    );
  });
});
