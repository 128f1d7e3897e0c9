import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VIT_PRESETS, type VitArch } from '@slca/compute';
import { archName, prepareBackbone } from './prepare-backbone';
import { readSafetensors } from './safetensors';
import { backboneFromTimm } from './vit-weights';

const fixtures = join(__dirname, '../../test/fixtures/torch');
const read = (name: string) => new Uint8Array(readFileSync(join(fixtures, name)));
const arch = (JSON.parse(readFileSync(join(fixtures, 'expected.json'), 'utf8')) as { arch: VitArch }).arch;

describe('prepareBackbone: a weights file made ready for the registry', () => {
  it('a torch.save file and its safetensors copy give the same canonical weights and digest', () => {
    const fromTorch = prepareBackbone(read('vit-tiny.pt'), arch, 'vit-tiny.pt');
    const fromSafetensors = prepareBackbone(read('vit-tiny.safetensors'), arch, 'vit-tiny.safetensors');
    expect(fromTorch.format).toBe('torch');
    expect(fromSafetensors.format).toBe('safetensors');
    expect(fromTorch.digest).toBe(fromSafetensors.digest);
    expect(Buffer.from(fromTorch.weights).equals(Buffer.from(fromSafetensors.weights))).toBe(true);
    expect(fromTorch.source.sha256).not.toBe(fromSafetensors.source.sha256);
    // The canonical file holds exactly the backbone, in timm names and values.
    const stored = readSafetensors(fromTorch.weights, 'stored');
    expect(stored.tensors.size).toBe(fromTorch.tensors);
    expect(Array.from(backboneFromTimm(stored.tensors, arch))).toEqual(Array.from(fromTorch.values));
  });

  it('MoCo v3: the base encoder is kept, the momentum encoder, predictor and head are listed as dropped', () => {
    const moco = prepareBackbone(read('vit-tiny-moco.pth.tar'), arch, 'vit-tiny-moco.pth.tar');
    const plain = prepareBackbone(read('vit-tiny.pt'), arch, 'vit-tiny.pt');
    expect(moco.digest).toBe(plain.digest);
    expect(moco.dropped.some((n) => n.includes('momentum_encoder'))).toBe(true);
    expect(moco.dropped.some((n) => n.includes('predictor'))).toBe(true);
  });

  it('a file that does not fit the architecture names the tensor and both shapes', () => {
    const wider = { ...arch, dim: 16, heads: 2 };
    expect(() => prepareBackbone(read('vit-tiny.pt'), wider, 'vit-tiny.pt')).toThrow(
      /vit-tiny\.pt: tensor '[^']+' has shape \[[\d,]+\], expected \[[\d,]+\]/,
    );
    expect(() => prepareBackbone(read('vit-tiny-missing.pt'), arch, 'm.pt')).toThrow(
      /m\.pt: missing tensor '/,
    );
    expect(() => prepareBackbone(read('malicious.pt'), arch, 'evil.pt')).toThrow(/refusing global/);
  });

  it('names the preset an architecture is', () => {
    expect(archName({ ...VIT_PRESETS['vit-b16'] })).toBe('vit-b16');
    expect(archName(arch)).toBe('custom');
  });
});
