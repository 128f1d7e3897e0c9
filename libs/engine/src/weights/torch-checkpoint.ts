import type { NamedTensor } from './safetensors';
import {
  decodeTensor,
  isLegacyTorchFile,
  isZipArchive,
  PickleDict,
  pickleTypeName,
  readTorchArchive,
  TorchCheckpointError,
  TorchTensorRef,
  type PickleValue,
  type TorchArchive,
} from './torch-pickle';

/*
 * PyTorch checkpoints of ViTs, as torch.save writes them, turned into timm-named float32 tensors for
 * backboneFromTimm (vit-weights.ts). A checkpoint is a state dict of tensors, or a dict holding one
 * under 'state_dict', 'model' or 'module' next to anything else (epoch, arch, optimizer state, ...).
 */

/** Where a training checkpoint keeps its model's state dict, in the order they are looked for. */
export const STATE_DICT_KEYS = ['state_dict', 'model', 'module'] as const;

/** A checkpoint's state dict, its tensors not yet read. */
export interface TorchStateDictRefs {
  readonly archive: TorchArchive;
  /** The top-level key it was found under; undefined when the saved object is the state dict. */
  readonly key: string | undefined;
  readonly tensors: ReadonlyMap<string, TorchTensorRef>;
}

/** True for bytes that the torch reader should handle: a zip archive or the legacy torch.save format. */
export function isTorchCheckpoint(bytes: Uint8Array): boolean {
  return isZipArchive(bytes) || isLegacyTorchFile(bytes);
}

/**
 * Finds the state dict in a torch.save archive: the saved dict itself, or the first of STATE_DICT_KEYS
 * that holds a dict. Every entry of the chosen dict must be a tensor with a string key (an error names
 * the key otherwise); the rest of the checkpoint may hold anything the restricted unpickler accepts.
 */
export function torchStateDictRefs(bytes: Uint8Array, file = '<buffer>'): TorchStateDictRefs {
  const archive = readTorchArchive(bytes, file);
  const fail = (problem: string): never => {
    throw new TorchCheckpointError(file, undefined, problem);
  };
  const root = archive.root;
  if (!(root instanceof PickleDict)) {
    fail(`the saved object is a ${pickleTypeName(root)}, not a dict: expected a state dict of tensors`);
  }
  const top = root as PickleDict;
  const key = STATE_DICT_KEYS.find((k) => top.items.get(k) instanceof PickleDict);
  const dict = key === undefined ? top : (top.items.get(key) as PickleDict);
  const where = key === undefined ? 'the state dict' : `the state dict under '${key}'`;
  if (dict.items.size === 0) fail(`${where} is empty`);
  const tensors = new Map<string, TorchTensorRef>();
  for (const [name, value] of dict.items) {
    if (typeof name !== 'string')
      fail(`${where} has a ${pickleTypeName(name)} key; tensor names are strings`);
    if (!(value instanceof TorchTensorRef)) {
      const hint =
        key === undefined
          ? ` (the top-level dict has no ${STATE_DICT_KEYS.map((k) => `'${k}'`).join(', ')} entry holding a state dict)`
          : '';
      fail(
        `${where}: entry '${name as string}' is a ${pickleTypeName(value as PickleValue)}, not a tensor${hint}`,
      );
    }
    tensors.set(name as string, value as TorchTensorRef);
  }
  return { archive, key, tensors };
}

/**
 * Reads a torch.save checkpoint's state dict as float32 tensors (float16, bfloat16 and float64 are
 * converted, views made contiguous). `keep` selects the names to read; the others are not decoded, so a
 * dropped entry may be of any dtype (an int64 BatchNorm counter, say).
 */
export function readTorchStateDict(
  bytes: Uint8Array,
  file = '<buffer>',
  keep: (name: string) => boolean = () => true,
): Map<string, NamedTensor> {
  const { archive, tensors } = torchStateDictRefs(bytes, file);
  const out = new Map<string, NamedTensor>();
  for (const [name, ref] of tensors) if (keep(name)) out.set(name, decodeTensor(archive, ref, name));
  return out;
}

/** Prefixes of MoCo v3 checkpoints (and of DataParallel/DDP wrappers) stripped before timm names. */
const STRIPPED_PREFIXES = ['module.', 'base_encoder.'];

/** Parts of a checkpoint that are not the backbone: MoCo's second encoder and predictor, any head. */
const DROPPED_PREFIXES = ['momentum_encoder.', 'predictor.', 'head.'];

/**
 * The timm ViT name of a checkpoint tensor, or undefined for one that is not part of the backbone.
 * Strips `module.` (DataParallel/DDP) and then `base_encoder.` (MoCo v3); drops `momentum_encoder.*`,
 * `predictor.*` and `head.*` (a classifier, or MoCo's projection MLP). Everything else keeps its name.
 */
export function torchToTimmName(name: string): string | undefined {
  let timm = name;
  for (const prefix of STRIPPED_PREFIXES) if (timm.startsWith(prefix)) timm = timm.slice(prefix.length);
  return DROPPED_PREFIXES.some((p) => timm.startsWith(p)) ? undefined : timm;
}

/** A checkpoint's backbone tensors in timm names, with what was learnt about the file. */
export interface TimmTensorsFromTorch {
  readonly tensors: Map<string, NamedTensor>;
  /**
   * `format: 'torch'`, `stateDictKey` when the state dict was nested, and the checkpoint's top-level
   * numbers, strings and booleans as `checkpoint.<key>` (e.g. MoCo's epoch and arch).
   */
  readonly metadata: Record<string, string>;
  /** Checkpoint names that torchToTimmName dropped (not read). */
  readonly dropped: string[];
}

/**
 * Reads a torch.save checkpoint and renames its tensors to timm's ViT names (torchToTimmName); only
 * the kept tensors are decoded. Two checkpoint names that map to one timm name are an error naming both.
 */
export function timmTensorsFromTorch(bytes: Uint8Array, file = '<buffer>'): TimmTensorsFromTorch {
  const { archive, key, tensors: refs } = torchStateDictRefs(bytes, file);
  const tensors = new Map<string, NamedTensor>();
  const origin = new Map<string, string>();
  const dropped: string[] = [];
  for (const [name, ref] of refs) {
    const timm = torchToTimmName(name);
    if (timm === undefined) {
      dropped.push(name);
      continue;
    }
    const previous = origin.get(timm);
    if (previous !== undefined) {
      throw new TorchCheckpointError(
        file,
        name,
        `maps to timm name '${timm}', as '${previous}' already does; the checkpoint holds two copies`,
      );
    }
    origin.set(timm, name);
    tensors.set(timm, decodeTensor(archive, ref, name));
  }
  const metadata: Record<string, string> = { format: 'torch' };
  if (key !== undefined) metadata.stateDictKey = key;
  if (archive.root instanceof PickleDict) {
    for (const [k, v] of archive.root.items) {
      const scalar =
        typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean';
      if (typeof k === 'string' && scalar) metadata[`checkpoint.${k}`] = String(v);
    }
  }
  return { tensors, metadata, dropped };
}
