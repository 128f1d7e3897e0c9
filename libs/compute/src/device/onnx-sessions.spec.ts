import type { InferenceSession } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { ParamLayout } from '../params';
import { numPatches, paramSpecs, patchInputDim, VIT_PRESETS, type VitArch } from '../vit/arch';
import { HEAD_BIAS, HEAD_WEIGHT, type ModelSpec } from './model-step';
import {
  KEEP_FORWARD_SESSIONS_BYTES,
  largestActivationBytes,
  OnnxForward,
  requireOnnxRuntime,
  SessionsBySize,
  type Ort,
} from './onnx-forward';
import { OnnxTraining } from './onnx-train';

/*
 * Sessions are kept while the installed models need the same graph (a run installs its training model and
 * the backbone it reads features from in turn, task after task) and remade when the graph changes.
 */

const ARCH: VitArch = { imageSize: 8, patchSize: 4, dim: 16, depth: 1, heads: 2, mlpDim: 32 };
const backbone = paramSpecs(ARCH).map((s) => ({ name: s.name, shape: s.shape }));
const withHead = (classes: number): ModelSpec => ({
  arch: ARCH,
  layout: [
    ...backbone,
    { name: HEAD_WEIGHT, shape: [ARCH.dim, classes] },
    { name: HEAD_BIAS, shape: [classes] },
  ],
  finalNormEps: 1e-6,
  trainBackbone: true,
});
const readModel: ModelSpec = { arch: ARCH, layout: backbone, finalNormEps: 1e-6, trainBackbone: false };

/** onnxruntime with a count of the sessions made. */
function countingOrt(): { ort: Ort; made: () => number } {
  const ort = requireOnnxRuntime();
  let made = 0;
  const InferenceSession = {
    create: (...args: Parameters<Ort['InferenceSession']['create']>) => {
      made++;
      return ort.InferenceSession.create(...args);
    },
  };
  return { ort: { ...ort, InferenceSession } as unknown as Ort, made: () => made };
}

const per = numPatches(ARCH) * patchInputDim(ARCH);
const values = (spec: ModelSpec) =>
  Float32Array.from({ length: new ParamLayout(spec.layout).total }, (_, i) => 0.05 * Math.sin(i));
const patches = (count: number) => Float32Array.from({ length: count * per }, (_, i) => Math.cos(i));

describe('onnx sessions', () => {
  it('training keeps its sessions for an equal model and remakes them for another', async () => {
    const { ort, made } = countingOrt();
    const training = new OnnxTraining(ort);
    const batch = { count: 2, patches: patches(2), labels: Int32Array.of(0, 2) };
    const run = (spec: ModelSpec) =>
      training.gradients(values(spec), batch, new Float32Array(values(spec).length));
    await training.setModel(withHead(3));
    const first = await run(withHead(3));
    await training.setModel(withHead(3)); // the next task's head: the same shapes
    expect(await run(withHead(3))).toBe(first);
    expect(made()).toBe(1);
    await training.setModel(withHead(4));
    await run(withHead(4));
    expect(made()).toBe(2);
    await training.release();
  });

  it('the forward pass keeps its sessions across an install of a training model in between', async () => {
    const { ort, made } = countingOrt();
    const forward = new OnnxForward(ort);
    await forward.setModel(readModel);
    const a = await forward.features(values(readModel), patches(3), 3);
    await forward.setModel(withHead(3)); // stage 1 of the next task asks for no features here
    await forward.setModel(readModel);
    expect(await forward.features(values(readModel), patches(3), 3)).toEqual(a);
    expect(made()).toBe(1);
    await forward.setModel(withHead(3));
    await forward.features(values(withHead(3)), patches(3), 3);
    expect(made()).toBe(2);
    await forward.release();
  });
});

describe('forward sessions of a large graph', () => {
  it('are released when a model of another graph is installed, and remade when features are asked again', async () => {
    const { ort, made } = countingOrt();
    // A threshold below this graph's activations stands for a ViT-B/16 chunk.
    const forward = new OnnxForward(ort, largestActivationBytes(ARCH, 3) - 1);
    await forward.setModel(readModel);
    const a = await forward.features(values(readModel), patches(3), 3);
    await forward.setModel(readModel); // the same graph: kept
    expect(made()).toBe(1);
    await forward.setModel(withHead(3)); // training: released
    await forward.setModel(readModel);
    expect(await forward.features(values(readModel), patches(3), 3)).toEqual(a);
    expect(made()).toBe(2);
    await forward.release();
  });

  it('the default keeps the embedded ViT’s chunk of 64 and releases ViT-B/16’s', () => {
    // Hand-computed: 17 tokens × max(512, 4 × 17) × 64 × 4 B; 197 tokens × max(3072, 12 × 197) × 64 × 4 B.
    expect(largestActivationBytes(VIT_PRESETS['vit-emoji'], 64)).toBe(17 * 512 * 64 * 4);
    expect(largestActivationBytes(VIT_PRESETS['vit-b16'], 64)).toBe(197 * 3072 * 64 * 4);
    expect(largestActivationBytes(VIT_PRESETS['vit-emoji'], 64)).toBeLessThan(KEEP_FORWARD_SESSIONS_BYTES);
    expect(largestActivationBytes(VIT_PRESETS['vit-b16'], 64)).toBeGreaterThan(KEEP_FORWARD_SESSIONS_BYTES);
  });
});

describe('SessionsBySize', () => {
  it('makes a session once per size, and releases every one made, skipping one that failed to be made', async () => {
    const released: number[] = [];
    const session = (n: number) =>
      ({ release: async () => void released.push(n) }) as unknown as InferenceSession;
    const sessions = new SessionsBySize();
    let made = 0;
    const make = (n: number) => () => (made++, Promise.resolve(session(n)));
    expect(await sessions.get(2, make(2))).toBe(await sessions.get(2, make(99)));
    await sessions.get(3, make(3));
    await expect(sessions.get(4, () => Promise.reject(new Error('no memory')))).rejects.toThrow('no memory');
    expect(made).toBe(2);
    await sessions.release();
    expect(released).toEqual([2, 3]);
    // Forgotten: the next call makes a new one.
    await sessions.get(2, make(5));
    expect(made).toBe(3);
  });
});
