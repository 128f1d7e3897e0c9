import { readFile } from 'node:fs/promises';
import type { Mt19937 } from '@slca/data';
import { paramSpecs, sizeOf, type ParamSpec, type VitArch, ParamLayout } from '@slca/compute';
import { readSafetensors, writeSafetensorsFile } from './safetensors';
import { isTorchCheckpoint, timmTensorsFromTorch } from './torch-checkpoint';

export class WeightsError extends Error {
  override name = 'WeightsError';
}

/** Tensors a timm checkpoint may carry beyond the backbone: its pre-training classifier, ignored here. */
const IGNORED_PREFIXES = ['head.', 'pre_logits.'];

/** The flat layout of a backbone's parameters, in timm naming order. */
export function backboneLayout(arch: VitArch): ParamLayout {
  return new ParamLayout(paramSpecs(arch).map((s) => ({ name: s.name, shape: s.shape })));
}

/**
 * For each element of a tensor in timm's layout, its index in the engine's layout (see ParamSpec):
 * linear weights are transposed ([out, in] → [in, out]) and the patch embedding goes from
 * [dim, c, ph, pw] to [(ph, pw, c), dim]. Undefined where the layouts agree.
 */
function timmToEngineIndex(spec: ParamSpec): Int32Array | undefined {
  const n = spec.timmShape.reduce((a, b) => a * b, 1);
  const index = new Int32Array(n);
  if (spec.kind === 'linear') {
    const [outDim, inDim] = spec.timmShape;
    for (let o = 0; o < outDim; o++) for (let i = 0; i < inDim; i++) index[o * inDim + i] = i * outDim + o;
  } else if (spec.kind === 'patch') {
    const [dim, c, p] = spec.timmShape;
    for (let d = 0; d < dim; d++)
      for (let ch = 0; ch < c; ch++)
        for (let y = 0; y < p; y++)
          for (let x = 0; x < p; x++)
            index[((d * c + ch) * p + y) * p + x] = ((y * p + x) * c + ch) * dim + d;
  } else {
    return undefined;
  }
  return index;
}

/** timm layout → engine layout for one tensor. */
export function fromTimmLayout(spec: ParamSpec, timm: Float32Array): Float32Array {
  const index = timmToEngineIndex(spec);
  if (!index) return timm.slice();
  const out = new Float32Array(timm.length);
  for (let k = 0; k < index.length; k++) out[index[k]] = timm[k];
  return out;
}

/** engine layout → timm layout for one tensor. */
export function toTimmLayout(spec: ParamSpec, ours: Float32Array): Float32Array {
  const index = timmToEngineIndex(spec);
  if (!index) return ours.slice();
  const out = new Float32Array(ours.length);
  for (let k = 0; k < index.length; k++) out[k] = ours[index[k]];
  return out;
}

const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * Converts timm-named tensors into the flat backbone buffer for `arch`. Every backbone tensor must be
 * present with timm's shape; any other tensor (except a pre-training classifier) is an error naming it.
 */
export function backboneFromTimm(
  tensors: Map<string, { shape: number[]; data: Float32Array }>,
  arch: VitArch,
  source = 'weights',
): Float32Array {
  const specs = paramSpecs(arch);
  const layout = backboneLayout(arch);
  const values = new Float32Array(layout.total);
  const known = new Set(specs.map((s) => s.name));
  for (const name of tensors.keys()) {
    if (!known.has(name) && !IGNORED_PREFIXES.some((p) => name.startsWith(p))) {
      throw new WeightsError(
        `${source}: unexpected tensor '${name}' for a ViT with ${arch.depth} blocks (dim ${arch.dim})`,
      );
    }
  }
  for (const spec of specs) {
    const t = tensors.get(spec.name);
    if (!t)
      throw new WeightsError(`${source}: missing tensor '${spec.name}' (expected shape [${spec.timmShape}])`);
    if (!sameShape(t.shape, spec.timmShape)) {
      throw new WeightsError(
        `${source}: tensor '${spec.name}' has shape [${t.shape}], expected [${spec.timmShape}] for this architecture`,
      );
    }
    if (t.data.length !== sizeOf(spec.timmShape))
      throw new WeightsError(`${source}: tensor '${spec.name}' has the wrong number of values`);
    for (let i = 0; i < t.data.length; i++) {
      if (!Number.isFinite(t.data[i]))
        throw new WeightsError(`${source}: tensor '${spec.name}' contains a non-finite value at index ${i}`);
    }
    values.set(fromTimmLayout(spec, t.data), layout.slot(spec.name).offset);
  }
  return values;
}

export function backboneToTimm(
  values: Float32Array,
  arch: VitArch,
): Map<string, { shape: number[]; data: Float32Array }> {
  const layout = backboneLayout(arch);
  if (values.length !== layout.total)
    throw new WeightsError(`backbone has ${values.length} values, expected ${layout.total}`);
  return new Map(
    paramSpecs(arch).map((spec) => [
      spec.name,
      { shape: spec.timmShape, data: toTimmLayout(spec, layout.view(values, spec.name)) },
    ]),
  );
}

/** The file formats a backbone is read from. */
export type WeightsFormat = 'safetensors' | 'torch';

/** A backbone read from a file: values in the engine's layout, the file's metadata and its format. */
export interface LoadedBackbone {
  values: Float32Array;
  metadata: Record<string, string>;
  format: WeightsFormat;
}

/** The format of a weights file by its magic bytes: a zip (or legacy torch.save pickle) is torch's. */
export function weightsFormat(bytes: Uint8Array): WeightsFormat {
  return isTorchCheckpoint(bytes) ? 'torch' : 'safetensors';
}

/**
 * A backbone from a torch.save checkpoint (a timm state dict, or a MoCo v3 / DDP checkpoint whose names
 * timmTensorsFromTorch converts), validated like a safetensors file by backboneFromTimm.
 */
export function backboneFromTorch(
  bytes: Uint8Array,
  arch: VitArch,
  source = '<buffer>',
): { values: Float32Array; metadata: Record<string, string> } {
  const { tensors, metadata } = timmTensorsFromTorch(bytes, source);
  return { values: backboneFromTimm(tensors, arch, source), metadata };
}

/** A backbone from a safetensors file or a torch.save checkpoint held in memory, picked by magic bytes. */
export function backboneFromBytes(bytes: Uint8Array, arch: VitArch, source = '<buffer>'): LoadedBackbone {
  const format = weightsFormat(bytes);
  if (format === 'torch') return { ...backboneFromTorch(bytes, arch, source), format };
  const { tensors, metadata } = readSafetensors(bytes, source);
  return { values: backboneFromTimm(tensors, arch, source), metadata, format };
}

/**
 * Reads a backbone from a path or from bytes: safetensors with timm names, or a PyTorch checkpoint
 * (.pth, .pt, .pth.tar: torch.save's zip format), whatever the file's extension. Errors name `source`
 * (the path, by default).
 */
export async function loadBackboneFile(
  file: string | Uint8Array,
  arch: VitArch,
  source = typeof file === 'string' ? file : '<buffer>',
): Promise<LoadedBackbone> {
  const bytes = typeof file === 'string' ? await readFile(file) : file;
  return backboneFromBytes(bytes, arch, source);
}

/** Reads a backbone file, safetensors or PyTorch checkpoint (see loadBackboneFile). */
export async function loadBackbone(
  file: string,
  arch: VitArch,
): Promise<{ values: Float32Array; metadata: Record<string, string> }> {
  const { values, metadata } = await loadBackboneFile(file, arch);
  return { values, metadata };
}

export async function saveBackbone(
  file: string,
  values: Float32Array,
  arch: VitArch,
  metadata: Record<string, string> = {},
): Promise<void> {
  await writeSafetensorsFile(file, backboneToTimm(values, arch), { ...metadata, arch: JSON.stringify(arch) });
}

/** timm's trunc_normal_(std) with its default absolute bounds [-2, 2]: redraw anything outside. */
export function truncNormal(rng: Mt19937, std: number): number {
  for (;;) {
    const v = rng.standardNormal() * std;
    if (v >= -2 && v <= 2) return v;
  }
}

/**
 * A randomly initialised backbone as timm initialises a ViT (trunc-normal 0.02, LayerNorm 1/0, CLS 1e-6):
 * a new array, or written over the start of `into` (a model's flat parameters with the backbone first,
 * for a large model that should not exist twice).
 */
export function randomBackbone(arch: VitArch, rng: Mt19937, into?: Float32Array): Float32Array {
  const layout = backboneLayout(arch);
  if (into && into.length < layout.total)
    throw new Error(`randomBackbone: ${into.length} values cannot hold a backbone of ${layout.total}`);
  const values = into?.fill(0, 0, layout.total) ?? new Float32Array(layout.total);
  for (const spec of paramSpecs(arch)) {
    const v = layout.view(values, spec.name);
    if (spec.init === 'ones') v.fill(1);
    else if (spec.init === 'cls') for (let i = 0; i < v.length; i++) v[i] = rng.standardNormal() * 1e-6;
    else if (spec.init === 'trunc-normal') for (let i = 0; i < v.length; i++) v[i] = truncNormal(rng, 0.02);
  }
  return values;
}
