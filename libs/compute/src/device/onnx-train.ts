import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { ParamLayout } from '../params';
import { numPatches, patchInputDim } from '../vit/arch';
import { HEAD_WEIGHT, trainedTensors, type GradientBatch, type ModelSpec } from './model-step';
import { encodeModel } from './onnx-model';
import { requireOnnxRuntime, SESSION_OPTIONS, SessionsBySize, type Ort } from './onnx-forward';
import { vitTrainGraph } from './onnx-vit-train';

/**
 * Why a model's gradients cannot run natively (onnx-vit-train.ts's graph), or null when they can: a head
 * trained with cross-entropy or symmetric CE, over the backbone with or without LoRA, any subset of tensors
 * trained. The contrastive pre-training objective and prompted models stay on the tfjs device.
 */
export function nativeGradientsUnsupported(spec: ModelSpec): string | null {
  const objective = spec.objective ?? { kind: 'cross-entropy' };
  if (objective.kind === 'contrastive') return 'the contrastive objective';
  if (spec.prompt) return 'a prompted model';
  if (!spec.layout.some((s) => s.name === HEAD_WEIGHT)) return 'a model without a head';
  return null;
}

/**
 * The training pass (forward, loss, hand-written backward) on onnxruntime's CPU execution provider in the
 * calling thread: one single-threaded session per shard size, so a shard's gradient does not depend on how
 * many threads run shards side by side. Parameters are fed as views of a non-shared copy (FeedBuffer). The
 * gradients are written by onnxruntime into buffers given to it (pre-allocated outputs): straight into the
 * caller's buffer when it is not shared, else into one staging buffer kept for the model and copied out.
 */
export class OnnxTraining {
  private spec?: ModelSpec;
  private layout?: ParamLayout;
  private trained: string[] = [];
  private classes = 0;
  private staging?: Float32Array;
  private readonly sessions = new SessionsBySize();
  /** The installed model as JSON: a model installed again (the next task's) keeps its sessions. */
  private key?: string;

  constructor(private readonly ort: Ort = requireOnnxRuntime()) {}

  /**
   * Installs the model (at once; resolves when the old sessions are released). A model equal to the
   * installed one (each task's stage 1 of most methods: the same backbone tensors and head shape) keeps
   * its sessions, which take tens of milliseconds per shard size to make.
   */
  setModel(spec: ModelSpec): Promise<void> {
    const why = nativeGradientsUnsupported(spec);
    if (why) throw new Error(`onnx training: ${why} is not supported natively`);
    const key = JSON.stringify(spec);
    if (key === this.key) return Promise.resolve();
    const released = this.release();
    this.key = key;
    this.spec = spec;
    this.layout = new ParamLayout(spec.layout);
    this.trained = trainedTensors(spec, this.layout);
    this.classes = this.layout.slot(HEAD_WEIGHT).shape[1];
    this.staging = undefined;
    return released;
  }

  private session(spec: ModelSpec, count: number): Promise<InferenceSession> {
    return this.sessions.get(count, () => {
      const objective = spec.objective;
      const graph = vitTrainGraph(spec.arch, spec.layout, count, this.classes, {
        trained: this.trained,
        finalNormEps: spec.finalNormEps,
        loraScale: spec.lora?.scale,
        ...(objective?.kind === 'symmetric-cross-entropy' && {
          symmetric: { a: objective.a, b: objective.b },
        }),
      });
      return this.ort.InferenceSession.create(encodeModel(graph), SESSION_OPTIONS);
    });
  }

  /**
   * The shard's mean loss; its gradient into `out` (layout order, zeros for tensors not trained).
   * `values` must not be shared (FeedBuffer).
   */
  async gradients(values: Float32Array, batch: GradientBatch, out: Float32Array): Promise<number> {
    const { spec, layout, classes } = this;
    if (!spec || !layout) throw new Error('onnx training: no model installed');
    const { count, labels } = batch;
    const targets = new Float32Array(count * classes);
    labels.forEach((label, i) => {
      if (!Number.isInteger(label) || label < 0 || label >= classes)
        throw new Error(
          `onnx training: label ${label} of image ${i} is outside the head's ${classes} classes`,
        );
      targets[i * classes + label] = 1;
    });
    const perImage = numPatches(spec.arch) * patchInputDim(spec.arch);
    if (
      !Number.isInteger(count) ||
      count < 1 ||
      batch.patches.length !== count * perImage ||
      labels.length !== count
    )
      throw new Error(
        `onnx training: a shard of ${count} image(s) needs ${count * perImage} patch values and ${count} labels, ` +
          `got ${batch.patches.length} and ${labels.length}`,
      );
    const session = await this.session(spec, count);
    const feeds: Record<string, Tensor> = {
      patches: new this.ort.Tensor('float32', batch.patches, [
        count,
        numPatches(spec.arch),
        patchInputDim(spec.arch),
      ]),
      targets: new this.ort.Tensor('float32', targets, [count, classes]),
    };
    for (const name of session.inputNames) {
      if (name in feeds) continue;
      const slot = layout.slot(name);
      feeds[name] = new this.ort.Tensor(
        'float32',
        values.subarray(slot.offset, slot.offset + slot.size),
        slot.shape,
      );
    }
    // Tensors not trained get zeros; onnxruntime overwrites the trained ones' (here or in the staging buffer).
    if (this.trained.length !== layout.slots.length) out.fill(0);
    const shared = out.buffer instanceof SharedArrayBuffer;
    let into = out;
    if (shared) {
      if (this.staging?.length !== layout.total) this.staging = new Float32Array(layout.total);
      into = this.staging;
    }
    const fetches: Record<string, Tensor | null> = { loss: null };
    for (const name of this.trained) {
      const slot = layout.slot(name);
      fetches[`grad:${name}`] = new this.ort.Tensor(
        'float32',
        into.subarray(slot.offset, slot.offset + slot.size),
        slot.shape,
      );
    }
    const result = await session.run(feeds, fetches);
    const loss = (result.loss.data as Float32Array)[0];
    result.loss.dispose();
    if (shared)
      for (const name of this.trained) {
        const slot = layout.slot(name);
        out.set(into.subarray(slot.offset, slot.offset + slot.size), slot.offset);
      }
    return loss;
  }

  release(): Promise<void> {
    this.key = undefined;
    return this.sessions.release();
  }
}
