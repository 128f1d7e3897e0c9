/** A Vision Transformer's shape. Everything else (parameter names, shapes, FLOPs) derives from it. */
export interface VitArch {
  imageSize: number;
  patchSize: number;
  dim: number;
  depth: number;
  heads: number;
  mlpDim: number;
  /** LayerNorm epsilon inside blocks and for the pretrained final norm (timm ViT: 1e-6). */
  normEps?: number;
}

export const VIT_PRESETS = {
  /** ViT-B/16 at 224 px, as timm `vit_base_patch16_224`. */
  'vit-b16': { imageSize: 224, patchSize: 16, dim: 768, depth: 12, heads: 12, mlpDim: 3072 },
  /** The embedded default backbone: a small ViT at 32 px pre-trained by `slca pretrain`. */
  'vit-emoji': { imageSize: 32, patchSize: 8, dim: 128, depth: 4, heads: 4, mlpDim: 512 },
  /** The 1-block ViT that `bench` compares with a PyTorch figure (65 tokens × 192 dims). */
  'vit-bench-1block': { imageSize: 32, patchSize: 4, dim: 192, depth: 1, heads: 3, mlpDim: 768 },
} as const satisfies Record<string, VitArch>;

export type VitPreset = keyof typeof VIT_PRESETS;

export const CHANNELS = 3;
export const DEFAULT_NORM_EPS = 1e-6;

export class ArchError extends Error {
  override name = 'ArchError';
}

const FIELDS = ['imageSize', 'patchSize', 'dim', 'depth', 'heads', 'mlpDim'] as const;

/** Validates an architecture from a preset name or a JSON object, naming the offending field. */
export function parseArch(input: string | Partial<VitArch>): VitArch {
  let raw: unknown = input;
  if (typeof input === 'string') {
    if (input in VIT_PRESETS) return { ...VIT_PRESETS[input as VitPreset] };
    try {
      raw = JSON.parse(input);
    } catch {
      throw new ArchError(
        `architecture '${input}' is neither a preset (${Object.keys(VIT_PRESETS).join(', ')}) nor JSON`,
      );
    }
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ArchError('architecture must be a JSON object');
  }
  const obj = raw as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (![...FIELDS, 'normEps'].includes(key)) throw new ArchError(`architecture: unknown field '${key}'`);
  }
  const arch = {} as VitArch;
  for (const field of FIELDS) {
    const v = obj[field];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
      throw new ArchError(`architecture.${field} must be a positive integer, got ${JSON.stringify(v)}`);
    }
    arch[field] = v;
  }
  if (obj.normEps !== undefined) {
    if (typeof obj.normEps !== 'number' || !(obj.normEps > 0)) {
      throw new ArchError(`architecture.normEps must be a positive number`);
    }
    arch.normEps = obj.normEps;
  }
  if (arch.imageSize % arch.patchSize !== 0) {
    throw new ArchError(
      `architecture: imageSize ${arch.imageSize} is not a multiple of patchSize ${arch.patchSize}`,
    );
  }
  if (arch.dim % arch.heads !== 0) {
    throw new ArchError(`architecture: dim ${arch.dim} is not divisible by heads ${arch.heads}`);
  }
  return arch;
}

export function numPatches(arch: VitArch): number {
  return (arch.imageSize / arch.patchSize) ** 2;
}

export function numTokens(arch: VitArch): number {
  return numPatches(arch) + 1;
}

export function patchInputDim(arch: VitArch): number {
  return arch.patchSize * arch.patchSize * CHANNELS;
}

/**
 * One backbone parameter. `shape` is the layout this engine computes with; `timmShape` the layout of the
 * timm checkpoint. Linear weights are [in, out] here and [out, in] in PyTorch; the patch embedding is
 * [(ph, pw, c), dim] here and [dim, c, ph, pw] in timm.
 */
export interface ParamSpec {
  name: string;
  shape: number[];
  timmShape: number[];
  kind: 'linear' | 'patch' | 'vector' | 'token';
  /** Initial value family for a randomly initialised ViT. */
  init: 'trunc-normal' | 'zeros' | 'ones' | 'cls';
}

/** The backbone's parameters in timm naming order (the order of the flat parameter buffer). */
export function paramSpecs(arch: VitArch): ParamSpec[] {
  const { dim, mlpDim, depth } = arch;
  const specs: ParamSpec[] = [];
  const linear = (name: string, inDim: number, outDim: number) => {
    specs.push({
      name: `${name}.weight`,
      shape: [inDim, outDim],
      timmShape: [outDim, inDim],
      kind: 'linear',
      init: 'trunc-normal',
    });
    specs.push({ name: `${name}.bias`, shape: [outDim], timmShape: [outDim], kind: 'vector', init: 'zeros' });
  };
  const norm = (name: string) => {
    specs.push({ name: `${name}.weight`, shape: [dim], timmShape: [dim], kind: 'vector', init: 'ones' });
    specs.push({ name: `${name}.bias`, shape: [dim], timmShape: [dim], kind: 'vector', init: 'zeros' });
  };
  const p = arch.patchSize;
  specs.push({ name: 'cls_token', shape: [1, 1, dim], timmShape: [1, 1, dim], kind: 'token', init: 'cls' });
  specs.push({
    name: 'pos_embed',
    shape: [1, numTokens(arch), dim],
    timmShape: [1, numTokens(arch), dim],
    kind: 'token',
    init: 'trunc-normal',
  });
  specs.push({
    name: 'patch_embed.proj.weight',
    shape: [p * p * CHANNELS, dim],
    timmShape: [dim, CHANNELS, p, p],
    kind: 'patch',
    init: 'trunc-normal',
  });
  specs.push({
    name: 'patch_embed.proj.bias',
    shape: [dim],
    timmShape: [dim],
    kind: 'vector',
    init: 'zeros',
  });
  for (let i = 0; i < depth; i++) {
    norm(`blocks.${i}.norm1`);
    linear(`blocks.${i}.attn.qkv`, dim, 3 * dim);
    linear(`blocks.${i}.attn.proj`, dim, dim);
    norm(`blocks.${i}.norm2`);
    linear(`blocks.${i}.mlp.fc1`, dim, mlpDim);
    linear(`blocks.${i}.mlp.fc2`, mlpDim, dim);
  }
  norm('norm');
  return specs;
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function paramCount(arch: VitArch): number {
  return paramSpecs(arch).reduce((n, s) => n + sizeOf(s.shape), 0);
}

/** Multiply–accumulates of one forward pass per image (matMuls only; the usual FLOPs convention is 2× this). */
export function forwardMacs(arch: VitArch): number {
  const t = numTokens(arch);
  const { dim, mlpDim, depth } = arch;
  const patch = numPatches(arch) * patchInputDim(arch) * dim;
  const perBlock = t * dim * 3 * dim + 2 * t * t * dim + t * dim * dim + 2 * t * dim * mlpDim;
  return patch + depth * perBlock;
}
