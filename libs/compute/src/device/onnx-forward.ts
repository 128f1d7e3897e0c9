import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { ParamLayout } from '../params';
import { numPatches, patchInputDim, type VitArch } from '../vit/arch';
import type { ModelSpec } from './model-step';
import { encodeModel } from './onnx-model';
import { vitFeatureGraph } from './onnx-vit';

export type Ort = typeof import('onnxruntime-node');

/** onnxruntime-node when it is installed and its native library loads on this machine; else why not. */
export function loadOnnxRuntime(): { ort: Ort } | { error: string } {
  try {
    // A computed require keeps bundlers from resolving an optional native package.
    const load = require;
    return { ort: load('onnxruntime-node') as Ort };
  } catch (e) {
    return { error: e instanceof Error ? e.message.split('\n')[0] : String(e) };
  }
}

/** onnxruntime-node, or an error naming the device and why it cannot run here. */
export function requireOnnxRuntime(): Ort {
  const loaded = loadOnnxRuntime();
  if ('error' in loaded)
    throw new Error(`device 'onnx': onnxruntime-node is not usable here (${loaded.error})`);
  return loaded.ort;
}

/**
 * Every native session: single-threaded (a shard's or chunk's result must not depend on how many run side by
 * side), with onnxruntime's CPU arena unless SLCA_ONNX_ARENA=0, and without memory patterns unless
 * SLCA_ONNX_MEMPATTERN=1. A pattern is planned from the first run and allocated as one more block on the
 * second, while the arena keeps what the first run took: `tools/bench/src/onnx-session-ab.ts` (ViT-B/16
 * steps at batch 8 on 2 workers, 2 alternating rounds, 2026-12-07) gave 6.4–7.1 s per step and 5.0 GB peak
 * RSS with the arena and no patterns, 6.7 s and 6.4 GB with both, 6.9–7.9 s and 4.9 GB with neither; the
 * same loss and gradient bits in every setting.
 */
export const SESSION_OPTIONS: InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
  enableCpuMemArena: process.env.SLCA_ONNX_ARENA !== '0',
  enableMemPattern: process.env.SLCA_ONNX_MEMPATTERN === '1',
};

/**
 * What onnxruntime is fed the parameters from: onnxruntime-node refuses tensors over a SharedArrayBuffer,
 * so shared parameters are copied into one non-shared buffer, kept and overwritten at each refresh (a fresh
 * copy per step costs page faults on every one of its pages: up to seconds for ViT-B/16's 344 MB here).
 */
export class FeedBuffer {
  private copy?: Float32Array;

  /** `values` itself when not shared, else the buffer holding a copy of its current contents. */
  refresh(values: Float32Array): Float32Array {
    if (!(values.buffer instanceof SharedArrayBuffer)) return values;
    if (this.copy?.length !== values.length) this.copy = new Float32Array(values.length);
    this.copy.set(values);
    return this.copy;
  }
}

/**
 * onnxruntime sessions of one graph, one per batch size, each made once when first asked for. `release`
 * forgets them all at once (a call meanwhile makes new ones) and resolves when they are released; one that
 * failed to be made has nothing to release.
 */
export class SessionsBySize {
  private readonly sessions = new Map<number, Promise<InferenceSession>>();

  get(count: number, make: () => Promise<InferenceSession>): Promise<InferenceSession> {
    let s = this.sessions.get(count);
    if (!s) {
      s = make();
      this.sessions.set(count, s);
    }
    return s;
  }

  async release(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of all)
      await s.then(
        (session) => session.release(),
        () => undefined,
      );
  }
}

/**
 * The ViT's forward pass on onnxruntime's CPU execution provider, in the calling thread: one
 * single-threaded session per chunk size (onnx-vit.ts's graph), parameters fed from a non-shared copy of the
 * flat buffer (FeedBuffer). Single-threaded sessions make a
 * chunk's features independent of how many threads run chunks side by side.
 */
export class OnnxForward {
  private spec?: ModelSpec;
  private layout?: ParamLayout;
  private readonly sessions = new SessionsBySize();
  /** The graph the sessions were made for (forwardGraphKey). */
  private sessionsKey?: string;

  /** The largest activation of the sessions made (largestActivationBytes), bytes. */
  private heldBytes = 0;

  constructor(
    private readonly ort: Ort = requireOnnxRuntime(),
    /**
     * Sessions whose largest activation is above this are released when another graph's model is
     * installed; SLCA_ONNX_KEEP_FORWARD=1 keeps every one (the A/B in tools/bench/src/onnx-forward-hold.ts).
     */
    private readonly keepBytes = process.env.SLCA_ONNX_KEEP_FORWARD === '1'
      ? Number.POSITIVE_INFINITY
      : KEEP_FORWARD_SESSIONS_BYTES,
  ) {}

  /**
   * Installs the model at once (later calls see it). Sessions are made when features are first asked for.
   * Small graphs' sessions are kept while the installed models need the same graph: a run alternates
   * between its training model (whose features it never asks for here) and the backbone it reads features
   * from, task after task, and making a session costs tens of milliseconds for each chunk size on each
   * worker. A large graph's sessions are released when a model of another graph is installed: their arena
   * would otherwise be held through the training steps (ViT-B/16, chunks of 64 on 2 workers: 1.6 GB more
   * peak RSS, `tools/bench/src/onnx-forward-hold.ts`) to save well under a second per task.
   */
  setModel(spec: ModelSpec): Promise<void> {
    if (spec.prompt)
      throw new Error(
        'the onnx device has no prompted forward (L2P, DualPrompt): set compute.device to wasm for a prompted method',
      );
    this.spec = spec;
    this.layout = new ParamLayout(spec.layout);
    const otherGraph = this.sessionsKey !== undefined && forwardGraphKey(spec) !== this.sessionsKey;
    return otherGraph && this.heldBytes > this.keepBytes ? this.release() : Promise.resolve();
  }

  private async session(spec: ModelSpec, count: number): Promise<InferenceSession> {
    const key = forwardGraphKey(spec);
    if (key !== this.sessionsKey) {
      // release() forgets the old sessions at once, so a call for the same key meanwhile makes new ones.
      const released = this.release();
      this.sessionsKey = key;
      await released;
    }
    return this.sessions.get(count, () => {
      this.heldBytes = Math.max(this.heldBytes, largestActivationBytes(spec.arch, count));
      return this.ort.InferenceSession.create(
        encodeModel(vitFeatureGraph(spec.arch, spec.layout, count, spec.finalNormEps)),
        SESSION_OPTIONS,
      );
    });
  }

  /** CLS features [count, dim] of patchified images; `values` must not be shared (see FeedBuffer). */
  async features(values: Float32Array, patches: Float32Array, count: number): Promise<Float32Array> {
    const { spec, layout } = this;
    if (!spec || !layout) throw new Error('onnx forward: no model installed');
    const session = await this.session(spec, count);
    const feeds: Record<string, Tensor> = {
      patches: new this.ort.Tensor('float32', patches, [
        count,
        numPatches(spec.arch),
        patchInputDim(spec.arch),
      ]),
    };
    for (const name of session.inputNames) {
      if (name === 'patches') continue;
      const slot = layout.slot(name);
      feeds[name] = new this.ort.Tensor(
        'float32',
        values.subarray(slot.offset, slot.offset + slot.size),
        slot.shape,
      );
    }
    const result = await session.run(feeds);
    const out = Float32Array.from(result.features.data as Float32Array);
    for (const t of Object.values(result)) t.dispose();
    return out;
  }

  release(): Promise<void> {
    this.sessionsKey = undefined;
    this.heldBytes = 0;
    return this.sessions.release();
  }
}

/** See OnnxForward's `keepBytes`: the embedded ViT's chunk of 64 (2.2 MB) is kept, ViT-B/16's (155 MB) is not. */
export const KEEP_FORWARD_SESSIONS_BYTES = 16 * 2 ** 20;

/**
 * The largest activation of a forward of `count` images, float32: the MLP's hidden layer or the attention
 * scores. The session's arena is some multiple of it.
 */
export function largestActivationBytes(arch: VitArch, count: number): number {
  const tokens = numPatches(arch) + 1;
  return 4 * count * tokens * Math.max(arch.mlpDim, arch.heads * tokens);
}

/** What vitFeatureGraph is made from: models with equal keys share their sessions. */
function forwardGraphKey(spec: ModelSpec): string {
  return JSON.stringify([spec.arch, spec.layout, spec.finalNormEps]);
}
