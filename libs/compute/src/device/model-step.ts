import * as tf from '@tensorflow/tfjs-core';
import { contrastiveLoss, crossEntropy, linear, symmetricCrossEntropy } from '../ops';
import { numPatches, patchInputDim, type VitArch } from '../vit/arch';
import { vitFeatures, type BackboneTensors } from '../vit/forward';
import { ParamLayout } from '../params';
import {
  keyPullTensor,
  promptedForward,
  promptSimilarities,
  PROMPT_KEYS,
  selectPrompts,
  type PromptSpec,
} from '../vit/prompts';

/**
 * What a compute device needs to run the model: the architecture, where each tensor sits in the flat
 * parameter buffer, and which of them are trained. The classifier being trained is the tensors named
 * `head.weight` [dim, classes] and `head.bias` [classes] when present.
 */
export interface ModelSpec {
  arch: VitArch;
  layout: { name: string; shape: number[] }[];
  finalNormEps: number;
  /** Compute every token of the last block (as PyTorch/timm do) instead of the CLS token only. */
  fullLastBlock?: boolean;
  /** False when the backbone learning rate is 0: its gradients are not computed at all. */
  trainBackbone: boolean;
  /**
   * What the gradient is of: the head's cross-entropy on the labels (the default), or a contrastive loss
   * on the backbone's features where a batch's labels are image ids (rows with the same id are views of
   * one image; see `contrastiveLoss`). With the contrastive objective no head is needed or trained.
   */
  objective?:
    | { kind: 'cross-entropy' }
    | { kind: 'contrastive'; temperature: number }
    /** a·CE + b·RCE on the head's logits (SLCA++; see `symmetricCrossEntropy`). */
    | { kind: 'symmetric-cross-entropy'; a: number; b: number };
  /**
   * The tensors trained, by name, when not every one is (SLCA++ trains norms, biases, the CLS token, LoRA
   * and the head); the others get zero gradients. Absent: the backbone (if `trainBackbone`) and the head.
   */
  trainable?: string[];
  /** LoRA on every block's qkv weight: W + scale·A·B with `blocks.i.attn.lora_a`/`lora_b` in the layout. */
  lora?: { scale: number };
  /**
   * A prompted forward (L2P, DualPrompt; `vit/prompts.ts`): its prompt tensors in the layout. Training
   * batches bring each
   * image's query and selected prompts (`GradientBatch.queries`, `promptIndex`); at prediction the device
   * computes the query (the un-prompted model's feature) and selects each image's own top-k itself.
   */
  prompt?: PromptSpec;
}

export interface GradientBatch {
  /** Patchified images [count, patches, patchDim]. */
  patches: Float32Array;
  /** Labels local to the trained head, in [0, head classes); image ids for the contrastive objective. */
  labels: Int32Array;
  count: number;
  /** Prompted models: each image's query [count, dim] (the frozen, un-prompted model's CLS feature). */
  queries?: Float32Array;
  /** Prompted models: the prompts each image uses [count, topK] (selected by the caller, batch-wide). */
  promptIndex?: Int32Array;
}

export const HEAD_WEIGHT = 'head.weight';
export const HEAD_BIAS = 'head.bias';

/** Uploads the flat parameters as tensors (one copy into the backend's memory). */
export function tensorsFrom(layout: ParamLayout, values: Float32Array): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const s of layout.slots)
    out[s.name] = tf.tensor(values.subarray(s.offset, s.offset + s.size), s.shape, 'float32');
  return out;
}

interface WasmHeapBackend {
  wasm: { HEAPF32: Float32Array };
  dataIdMap: { get(id: object): { memoryOffset: number } | undefined };
}

/**
 * Copies a float32 tensor's values into out[offset…]. On wasm straight from the backend's heap (dataSync
 * would first copy into a fresh ArrayBuffer: megabytes of garbage per step for the collector).
 */
export function copyOut(t: tf.Tensor, out: Float32Array, offset: number): void {
  if (t.dtype === 'float32' && tf.getBackend() === 'wasm') {
    const backend = tf.backend() as unknown as WasmHeapBackend;
    const data = backend.dataIdMap.get(t.dataId);
    if (data && backend.wasm.HEAPF32 instanceof Float32Array) {
      const start = data.memoryOffset >>> 2;
      out.set(backend.wasm.HEAPF32.subarray(start, start + t.size), offset);
      return;
    }
  }
  out.set(t.dataSync() as Float32Array, offset);
}

function patchTensor(spec: ModelSpec, patches: Float32Array, count: number): tf.Tensor3D {
  return tf.tensor3d(patches, [count, numPatches(spec.arch), patchInputDim(spec.arch)]);
}

/**
 * The error a wasm abort becomes: tfjs-wasm reports a failed allocation as a bare "Aborted()", and its
 * heap cannot grow past 4 GiB, so a shard too large for the model is the usual cause. Other errors pass
 * through unchanged.
 */
export function explainWasmAbort(
  error: unknown,
  arch: VitArch,
  images: number,
  pass: 'training' | 'forward',
): unknown {
  if (!(error instanceof Error) || !error.message.startsWith('Aborted(')) return error;
  const remedy =
    pass === 'training'
      ? 'cut each batch into more shards (compute.shards; ViT-B/16 needs one image per shard on wasm)'
      : 'extract features in smaller chunks (compute.featureChunk)';
  return new Error(
    `the wasm backend aborted during a ${pass} pass over ${images} image(s) of a ${arch.imageSize} px ViT ` +
      `(dim ${arch.dim}, depth ${arch.depth}) — almost always its heap reaching the 4 GiB WebAssembly limit: ` +
      `${remedy}, or train on a GPU (tfjs-node-gpu). The backend cannot continue after this. (${error.message})`,
    { cause: error },
  );
}

function explainingAborts<T>(
  spec: ModelSpec,
  images: number,
  pass: 'training' | 'forward',
  work: () => T,
): T {
  try {
    return work();
  } catch (error) {
    throw explainWasmAbort(error, spec.arch, images, pass);
  }
}

/** The tensors a step differentiates, in layout order (the others get zero gradients). */
export function trainedTensors(spec: ModelSpec, layout: ParamLayout): string[] {
  const objective = spec.objective ?? { kind: 'cross-entropy' };
  const isHead = (name: string) => name === HEAD_WEIGHT || name === HEAD_BIAS;
  if (objective.kind === 'contrastive' && !spec.trainBackbone)
    throw new Error('the contrastive objective trains the backbone: trainBackbone must be true');
  return layout.slots
    .map((s) => s.name)
    .filter((name) =>
      spec.trainable
        ? spec.trainable.includes(name)
        : objective.kind === 'contrastive'
          ? !isHead(name)
          : spec.trainBackbone || isHead(name),
    );
}

/**
 * Gradient of one batch (mean cross-entropy of the head, or the contrastive objective), written into `out`
 * (layout order; zeros for tensors not trained).
 * Returns the loss.
 */
export function gradientsInto(
  spec: ModelSpec,
  layout: ParamLayout,
  params: Record<string, tf.Tensor>,
  batch: GradientBatch,
  out: Float32Array,
): number {
  const objective = spec.objective ?? { kind: 'cross-entropy' };
  const isHead = (name: string) => name === HEAD_WEIGHT || name === HEAD_BIAS;
  const trainedNames = trainedTensors(spec, layout);
  const trained = trainedNames.map((n) => params[n]);
  // Nothing of the ViT itself trains (a head, prompts): its linear layers need no weight gradients.
  const frozenBackbone = trainedNames.every((n) => isHead(n) || n.startsWith('prompt.'));
  return explainingAborts(spec, batch.count, 'training', () =>
    tf.tidy(() => {
      const x = patchTensor(spec, batch.patches, batch.count);
      const y = tf.tensor1d(batch.labels, 'int32');
      const lossOf = (...ts: tf.Tensor[]) => {
        const p: BackboneTensors = { ...params };
        trainedNames.forEach((n, i) => (p[n] = ts[i]));
        const prompt = spec.prompt;
        let pull: tf.Scalar | null = null;
        let prompted = {};
        if (prompt) {
          if (!batch.queries || !batch.promptIndex)
            throw new Error('a prompted model trains on batches with queries and selected prompts');
          prompted = promptedForward(prompt, p, batch.promptIndex, batch.count);
          pull = keyPullTensor(p[PROMPT_KEYS], batch.queries, batch.promptIndex, batch.count);
        }
        const feats = vitFeatures(p, x, spec.arch, {
          finalNormEps: spec.finalNormEps,
          fullLastBlock: spec.fullLastBlock,
          loraScale: spec.lora?.scale,
          frozenBackbone,
          ...prompted,
        });
        if (prompt && pull) {
          const ce = crossEntropy(linear(feats, p[HEAD_WEIGHT], p[HEAD_BIAS]), y);
          return tf.sub(ce, tf.mul(pull, prompt.keyLossWeight)) as tf.Scalar;
        }
        if (objective.kind === 'contrastive')
          return contrastiveLoss(feats, batch.labels, objective.temperature);
        const logits = linear(feats, p[HEAD_WEIGHT], p[HEAD_BIAS]);
        return objective.kind === 'symmetric-cross-entropy'
          ? symmetricCrossEntropy(logits, y, objective.a, objective.b)
          : crossEntropy(logits, y);
      };
      const { value, grads } = tf.valueAndGrads(lossOf)(trained);
      if (trainedNames.length !== layout.slots.length) out.fill(0);
      trainedNames.forEach((n, i) => copyOut(grads[i], out, layout.slot(n).offset));
      return value.dataSync()[0];
    }),
  );
}

/** Largest forward batch: bounds the wasm heap (attention and MLP activations grow with the batch). */
export const MAX_FORWARD_BATCH = 128;

/**
 * CLS features [count, dim] of patchified images, forward only, in sub-batches of MAX_FORWARD_BATCH.
 * A prompted model's features go through its prompts unless `unprompted` (then: the query).
 */
export function featuresOf(
  spec: ModelSpec,
  params: Record<string, tf.Tensor>,
  patches: Float32Array,
  count: number,
  { unprompted = false }: { unprompted?: boolean } = {},
): Float32Array {
  const dim = spec.arch.dim;
  const per = patches.length / count;
  const out = new Float32Array(count * dim);
  for (let start = 0; start < count; start += MAX_FORWARD_BATCH) {
    const n = Math.min(MAX_FORWARD_BATCH, count - start);
    const part = patches.subarray(start * per, (start + n) * per);
    explainingAborts(spec, n, 'forward', () =>
      tf.tidy(() => {
        const x = patchTensor(spec, part, n);
        const options = {
          finalNormEps: spec.finalNormEps,
          fullLastBlock: spec.fullLastBlock,
          loraScale: spec.lora?.scale,
        };
        let feats = vitFeatures(params, x, spec.arch, options);
        const prompt = unprompted ? undefined : spec.prompt;
        if (prompt) {
          // The query is the un-prompted model's feature; each image then uses its own top-k prompts.
          const keys = params[PROMPT_KEYS];
          const similarities = promptSimilarities(feats.dataSync(), n, keys.dataSync(), prompt.pool, dim);
          const index = selectPrompts(similarities, n, prompt.pool, prompt.topK, false);
          feats = vitFeatures(params, x, spec.arch, {
            ...options,
            ...promptedForward(prompt, params, index, n),
          });
        }
        copyOut(feats, out, start * dim);
      }),
    );
  }
  return out;
}

/**
 * Shard k's turn in a weighted gradient sum over [start, end): `sum` (zeroed first when k is the step's
 * first shard) += weight·g, element for element. Called in shard order for each element, it is exactly
 * `sum.fill(0); for k: for i: sum[i] += weights[k] * g_k[i]`, whichever thread adds which shard or range.
 */
export function addWeighted(
  sum: Float32Array,
  weight: number,
  g: Float32Array,
  first: boolean,
  start = 0,
  end = sum.length,
): void {
  if (g.length !== sum.length)
    throw new Error(`gradient sum: a gradient of ${g.length} values for a sum of ${sum.length}`);
  if (first) sum.fill(0, start, end);
  for (let i = start; i < end; i++) sum[i] += weight * g[i];
}

/**
 * The one scratch gradient buffer of a thread (non-shared, so onnxruntime can write it), reallocated only
 * when the model's size changes.
 */
export class GradientScratch {
  private buffer?: Float32Array;

  of(length: number): Float32Array {
    if (this.buffer?.length !== length) this.buffer = new Float32Array(length);
    return this.buffer;
  }

  release(): void {
    this.buffer = undefined;
  }
}
