import { createHash } from 'node:crypto';
import { paramSpecs, VIT_PRESETS, type VitArch } from '@slca/compute';
import { readSafetensors, writeSafetensors } from './safetensors';
import { timmTensorsFromTorch } from './torch-checkpoint';
import { backboneFromTimm, backboneToTimm, weightsFormat, type WeightsFormat } from './vit-weights';

/** A weights file made ready for the registry: checked against its architecture, in one canonical form. */
export interface PreparedBackbone {
  /** The backbone in the engine's layout. */
  values: Float32Array;
  /** The canonical stored form: timm-named float32 safetensors (what runs load and refer to by digest). */
  weights: Uint8Array;
  digest: string;
  format: WeightsFormat;
  tensors: number;
  /** Tensors of the file that are not part of the backbone, dropped (a classifier, MoCo's other encoders). */
  dropped: string[];
  /** The preset whose shape `arch` is, or `custom`. */
  archName: string;
  source: { sha256: string; size: number };
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** The preset an architecture is (same shape), or `custom`. */
export function archName(arch: VitArch): string {
  const same = (a: VitArch, b: VitArch) =>
    (['imageSize', 'patchSize', 'dim', 'depth', 'heads', 'mlpDim'] as const).every((k) => a[k] === b[k]) &&
    (a.normEps ?? 1e-6) === (b.normEps ?? 1e-6);
  return Object.entries(VIT_PRESETS).find(([, preset]) => same(preset, arch))?.[0] ?? 'custom';
}

/**
 * Reads a safetensors file (timm names) or a torch.save checkpoint (converted to timm names), checks every
 * tensor against `arch` (a missing, extra or mis-shaped one is a WeightsError naming it and both shapes)
 * and writes the canonical safetensors. The same backbone always gives the same bytes and digest.
 */
export function prepareBackbone(bytes: Uint8Array, arch: VitArch, source: string): PreparedBackbone {
  const format = weightsFormat(bytes);
  const read =
    format === 'torch'
      ? timmTensorsFromTorch(bytes, source)
      : { tensors: readSafetensors(bytes, source).tensors, dropped: [] as string[] };
  const values = backboneFromTimm(read.tensors, arch, source);
  const known = new Set(paramSpecs(arch).map((s) => s.name));
  const dropped = [...read.dropped, ...[...read.tensors.keys()].filter((name) => !known.has(name))].sort();
  const weights = writeSafetensors(backboneToTimm(values, arch), { arch: JSON.stringify(arch) });
  return {
    values,
    weights,
    digest: sha256(weights),
    format,
    tensors: known.size,
    dropped,
    archName: archName(arch),
    source: { sha256: sha256(bytes), size: bytes.length },
  };
}
