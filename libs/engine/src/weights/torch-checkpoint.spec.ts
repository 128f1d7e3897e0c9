import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { VitArch } from '@slca/compute';
import { readSafetensors } from './safetensors';
import {
  readTorchStateDict,
  timmTensorsFromTorch,
  torchStateDictRefs,
  torchToTimmName,
} from './torch-checkpoint';
import {
  backboneFromBytes,
  backboneFromTimm,
  loadBackbone,
  loadBackboneFile,
  weightsFormat,
} from './vit-weights';

/** Made by libs/engine/scripts/make-torch-fixtures.py with real PyTorch; see its header. */
const FIXTURES = join(__dirname, '..', '..', 'test', 'fixtures', 'torch');
const path = (name: string) => join(FIXTURES, name);
const fixture = (name: string) => new Uint8Array(readFileSync(path(name)));
const expected = JSON.parse(readFileSync(path('expected.json'), 'utf8')) as {
  arch: VitArch;
  sums: Record<string, number>;
  first: Record<string, number>;
  f16_sums: Record<string, number>;
};
const ARCH = expected.arch;
const safetensors = (name: string) => readSafetensors(fixture(name), name).tensors;
const sum = (data: Float32Array) => data.reduce((a, b) => a + b, 0);

/** Every tensor equal, value for value, with the same shape. */
function expectSameTensors(
  actual: Map<string, { shape: number[]; data: Float32Array }>,
  reference: Map<string, { shape: number[]; data: Float32Array }>,
) {
  expect([...actual.keys()].sort()).toEqual([...reference.keys()].sort());
  for (const [name, t] of reference) {
    expect(actual.get(name)?.shape, name).toEqual(t.shape);
    expect(Array.from(actual.get(name)?.data ?? []), name).toEqual(Array.from(t.data));
  }
}

describe('PyTorch checkpoints as timm ViT weights', () => {
  it('reads a torch.save state dict with the values of its safetensors copy', () => {
    const tensors = readTorchStateDict(fixture('vit-tiny.pt'), 'vit-tiny.pt');
    expectSameTensors(tensors, safetensors('vit-tiny.safetensors'));
    for (const [name, t] of tensors) {
      expect(t.dtype).toBe('F32');
      expect(sum(t.data), name).toBeCloseTo(expected.sums[name], 5);
      expect(t.data[0], name).toBe(expected.first[name]);
    }
  });

  it('gives loadBackbone the same backbone from .pt, .pth.tar and .safetensors', async () => {
    const reference = await loadBackbone(path('vit-tiny.safetensors'), ARCH);
    for (const name of ['vit-tiny.pt', 'vit-tiny-moco.pth.tar', 'vit-tiny-strided.pt']) {
      const { values } = await loadBackbone(path(name), ARCH);
      expect(Array.from(values), name).toEqual(Array.from(reference.values));
    }
    const fromBytes = await loadBackboneFile(fixture('vit-tiny.pt'), ARCH);
    expect(fromBytes.format).toBe('torch');
    expect(Array.from(fromBytes.values)).toEqual(Array.from(reference.values));
    expect(backboneFromBytes(fixture('vit-tiny.safetensors'), ARCH).format).toBe('safetensors');
    expect(weightsFormat(fixture('vit-tiny-moco.pth.tar'))).toBe('torch');
    expect(weightsFormat(fixture('legacy.pt'))).toBe('torch');
    expect(weightsFormat(fixture('vit-tiny.safetensors'))).toBe('safetensors');
  });

  it('takes a MoCo v3 checkpoint: state_dict chosen, prefixes stripped, other encoders and heads dropped', () => {
    const bytes = fixture('vit-tiny-moco.pth.tar');
    const { tensors, metadata, dropped } = timmTensorsFromTorch(bytes, 'moco.pth.tar');
    const reference = safetensors('vit-tiny.safetensors');
    reference.delete('head.weight');
    reference.delete('head.bias');
    // The base encoder's values (the momentum encoder holds half of them).
    expectSameTensors(tensors, reference);
    expect(metadata).toEqual({
      format: 'torch',
      stateDictKey: 'state_dict',
      'checkpoint.epoch': '1',
      'checkpoint.arch': 'vit_tiny',
    });
    expect(dropped).toContain('module.momentum_encoder.blocks.0.attn.qkv.weight');
    expect(dropped).toContain('module.predictor.0.weight');
    expect(dropped).toContain('module.base_encoder.head.0.weight');
    expect(dropped.some((n) => n.startsWith('module.base_encoder.') && !n.includes('.head.'))).toBe(false);
    // The optimizer state, scaler and BatchNorm int64 counters were never decoded...
    expect(dropped).toContain('module.base_encoder.head.1.num_batches_tracked');
    // ...while reading every tensor of the state dict names the first that is not floating-point.
    expect(() => readTorchStateDict(bytes, 'moco.pth.tar')).toThrow(
      "moco.pth.tar: tensor 'module.base_encoder.head.1.num_batches_tracked': dtype int64 is not a floating-point type",
    );
    expect(torchStateDictRefs(bytes, 'moco.pth.tar').key).toBe('state_dict');
  });

  it('converts a float16 checkpoint exactly (as torch .half().float())', () => {
    const tensors = readTorchStateDict(fixture('vit-tiny-f16.pt'), 'f16.pt');
    expectSameTensors(tensors, safetensors('vit-tiny-f16.safetensors'));
    for (const [name, t] of tensors) {
      expect(t.dtype).toBe('F16');
      expect(sum(t.data), name).toBeCloseTo(expected.f16_sums[name], 5);
    }
  });

  it('honours strides and storage offsets of non-contiguous tensors', () => {
    const refs = torchStateDictRefs(fixture('vit-tiny-strided.pt'), 'strided.pt').tensors;
    expect(refs.get('blocks.0.attn.qkv.weight')?.stride).toEqual([1, 24]);
    expect(refs.get('patch_embed.proj.weight')?.stride).toEqual([48, 1, 12, 3]);
    expect(refs.get('pos_embed')?.offset).toBe(24);
    expect(refs.get('norm.bias')?.storage).toBe(refs.get('norm.weight')?.storage);
    expectSameTensors(
      readTorchStateDict(fixture('vit-tiny-strided.pt'), 'strided.pt'),
      safetensors('vit-tiny.safetensors'),
    );
  });

  it('names a missing tensor, and a tensor of the wrong shape for the architecture with both shapes', async () => {
    await expect(loadBackbone(path('vit-tiny-missing.pt'), ARCH)).rejects.toThrow(
      `${path('vit-tiny-missing.pt')}: missing tensor 'blocks.0.attn.proj.bias' (expected shape [8])`,
    );
    await expect(loadBackbone(path('vit-tiny.pt'), { ...ARCH, imageSize: 12 })).rejects.toThrow(
      `${path('vit-tiny.pt')}: tensor 'pos_embed' has shape [1,5,8], expected [1,10,8] for this architecture`,
    );
    const { tensors } = timmTensorsFromTorch(fixture('vit-tiny.pt'), 'w.pt');
    expect(() => backboneFromTimm(tensors, { ...ARCH, depth: 2 }, 'w.pt')).toThrow(
      "w.pt: missing tensor 'blocks.1.norm1.weight' (expected shape [8])",
    );
  });

  it('refuses the malicious checkpoint through loadBackbone, naming the global', async () => {
    await expect(loadBackbone(path('malicious.pt'), ARCH)).rejects.toThrow(
      /refusing global posix\.system at byte \d+: only plain state dicts of tensors are read/,
    );
  });

  it('refuses a legacy file, a non-dict and a state dict with a non-tensor entry', async () => {
    await expect(loadBackbone(path('legacy.pt'), ARCH)).rejects.toThrow(
      'legacy (pre-1.6) torch.save format: re-save with a current PyTorch',
    );
    expect(() => readTorchStateDict(fixture('list.pt'), 'list.pt')).toThrow(
      'list.pt: the saved object is a list, not a dict: expected a state dict of tensors',
    );
    expect(() => readTorchStateDict(fixture('bad-entry.pt'), 'bad.pt')).toThrow(
      "bad.pt: the state dict: entry 'step' is a int, not a tensor",
    );
  });

  it('maps checkpoint names to timm names', () => {
    expect(torchToTimmName('blocks.0.attn.qkv.weight')).toBe('blocks.0.attn.qkv.weight');
    expect(torchToTimmName('module.pos_embed')).toBe('pos_embed');
    expect(torchToTimmName('module.base_encoder.blocks.3.mlp.fc1.bias')).toBe('blocks.3.mlp.fc1.bias');
    expect(torchToTimmName('base_encoder.cls_token')).toBe('cls_token');
    expect(torchToTimmName('module.momentum_encoder.cls_token')).toBeUndefined();
    expect(torchToTimmName('module.predictor.0.weight')).toBeUndefined();
    expect(torchToTimmName('module.base_encoder.head.2.weight')).toBeUndefined();
    expect(torchToTimmName('head.weight')).toBeUndefined();
    expect(torchToTimmName('fc_norm.weight')).toBe('fc_norm.weight');
  });
});
