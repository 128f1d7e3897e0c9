import * as tf from '@tensorflow/tfjs-core';
import { assembleModule, F32, FunctionBuilder, I32, V128, type Local } from './wasm-asm';

/*
 * Batched matrix products over strided views, as wasm SIMD kernels that work directly on the tfjs wasm
 * backend's heap. tfjs's own wasm BatchMatMul runs a scalar loop whenever there is a batch dimension or a
 * transpose (1–2 GFLOP/s), and splitting heads out of a fused qkv tensor costs copies of the whole tensor.
 * Here every operand is a view (offset + strides) into an existing tensor, so attention reads q, k and v
 * straight from the qkv projection and writes its output in token-major layout: no split, no transpose.
 *
 * Two forms, both with two batch levels (e.g. image and head):
 *   nn: C[i,j] = α Σ_k A[i,k]·B[k,j]   — B and C contiguous along j, N % 4 = 0
 *   nt: C[i,j] = α Σ_k A[i,k]·B[j,k]   — A and B contiguous along k, K % 4 = 0
 * Summation order is fixed by the shapes alone, so results are bit-identical on every thread.
 */

export const STRIDED_MATMUL = 'SlcaStridedMatMul';

/** Element offset and strides of a view: [offset, batch1, batch2, row, column]. */
export type View = [number, number, number, number, number];

export interface MatOp {
  form: 'nn' | 'nt';
  /** Indices into the kernel's inputs. */
  a: number;
  b: number;
  /** [batch1, batch2, M, N, K]. */
  dims: [number, number, number, number, number];
  /** A as [b1, b2, i, k]; B as [b1, b2, k, j] (nn) or [b1, b2, j, k] (nt); C as [b1, b2, i, j]. */
  aView: View;
  bView: View;
  cView: View;
  alpha: number;
}

function buildNN(): FunctionBuilder {
  const f = new FunctionBuilder('nn', [...Array<number>(18).fill(I32), F32] as (typeof I32 | typeof F32)[]);
  const [a, b, c, B1, B2, M, N, K, aS1, aS2, aSm, aSk, bS1, bS2, bSk, cS1, cS2, cSm, alpha] = f.params;
  for (const s of [aS1, aS2, aSm, aSk, bS1, bS2, bSk, cS1, cS2, cSm]) f.get(s).i32(2).i32Shl().set(s);
  const alphaV = f.local(V128);
  f.get(alpha).f32x4Splat().set(alphaV);
  const [b1, b2, aB, bB, cB, i, j, k, pb, pc] = Array.from({ length: 10 }, () => f.local(I32));
  const pa = Array.from({ length: 4 }, () => f.local(I32));
  const acc = Array.from({ length: 4 }, () => [f.local(V128), f.local(V128)]);
  const bv = [f.local(V128), f.local(V128)];
  const t = f.local(V128);

  const tile = (rows: number, vecs: number) => {
    for (let r = 0; r < rows; r++) {
      for (let v = 0; v < vecs; v++) f.f32(0).f32x4Splat().set(acc[r][v]);
      f.get(i).i32(r).i32Add().get(aSm).i32Mul().get(aB).i32Add().set(pa[r]);
    }
    f.get(j).i32(2).i32Shl().get(bB).i32Add().set(pb);
    f.get(K).set(k);
    f.whileLoop(
      () => f.get(k).i32(0).i32GtS(),
      () => {
        for (let v = 0; v < vecs; v++)
          f.get(pb)
            .v128Load(16 * v)
            .set(bv[v]);
        for (let r = 0; r < rows; r++) {
          f.get(pa[r]).f32Load().f32x4Splat().set(t);
          for (let v = 0; v < vecs; v++)
            f.get(acc[r][v]).get(t).get(bv[v]).f32x4Mul().f32x4Add().set(acc[r][v]);
          f.addTo(pa[r], aSk);
        }
        f.addTo(pb, bSk).addTo(k, -1);
      },
    );
    for (let r = 0; r < rows; r++) {
      f.get(i).i32(r).i32Add().get(cSm).i32Mul().get(cB).i32Add().get(j).i32(2).i32Shl().i32Add().set(pc);
      for (let v = 0; v < vecs; v++)
        f.get(pc)
          .get(acc[r][v])
          .get(alphaV)
          .f32x4Mul()
          .v128Store(16 * v);
    }
  };
  const columns = (rows: number) => steppedLoop(f, j, N, 8, 4, (step) => tile(rows, step / 4));
  batchLoops(
    f,
    { b1, b2, B1, B2 },
    [
      [aB, a, aS1, aS2],
      [bB, b, bS1, bS2],
      [cB, c, cS1, cS2],
    ],
    () => {
      steppedLoop(f, i, M, 4, 1, columns);
    },
  );
  return f;
}

function buildNT(): FunctionBuilder {
  const f = new FunctionBuilder('nt', [...Array<number>(18).fill(I32), F32] as (typeof I32 | typeof F32)[]);
  const [a, b, c, B1, B2, M, N, K, aS1, aS2, aSm, bS1, bS2, bSn, cS1, cS2, cSm, cSn, alpha] = f.params;
  for (const s of [aS1, aS2, aSm, bS1, bS2, bSn, cS1, cS2, cSm, cSn, K]) f.get(s).i32(2).i32Shl().set(s);
  const [b1, b2, aB, bB, cB, i, j, off] = Array.from({ length: 8 }, () => f.local(I32));
  const pa = [f.local(I32), f.local(I32)];
  const pb = Array.from({ length: 4 }, () => f.local(I32));
  const acc = Array.from({ length: 2 }, () => Array.from({ length: 4 }, () => f.local(V128)));
  const av = [f.local(V128), f.local(V128)];
  const bv = Array.from({ length: 4 }, () => f.local(V128));

  const tile = (rows: number, cols: number) => {
    for (let r = 0; r < rows; r++) {
      f.get(i).i32(r).i32Add().get(aSm).i32Mul().get(aB).i32Add().set(pa[r]);
      for (let s = 0; s < cols; s++) f.f32(0).f32x4Splat().set(acc[r][s]);
    }
    for (let s = 0; s < cols; s++) f.get(j).i32(s).i32Add().get(bSn).i32Mul().get(bB).i32Add().set(pb[s]);
    f.i32(0).set(off);
    f.whileLoop(
      () => f.get(K).get(off).i32GtS(),
      () => {
        for (let r = 0; r < rows; r++) f.get(pa[r]).get(off).i32Add().v128Load().set(av[r]);
        for (let s = 0; s < cols; s++) f.get(pb[s]).get(off).i32Add().v128Load().set(bv[s]);
        for (let r = 0; r < rows; r++) {
          for (let s = 0; s < cols; s++)
            f.get(acc[r][s]).get(av[r]).get(bv[s]).f32x4Mul().f32x4Add().set(acc[r][s]);
        }
        f.addTo(off, 16);
      },
    );
    for (let r = 0; r < rows; r++) {
      for (let s = 0; s < cols; s++) {
        f.get(i).i32(r).i32Add().get(cSm).i32Mul().get(cB).i32Add();
        f.get(j).i32(s).i32Add().get(cSn).i32Mul().i32Add();
        f.get(acc[r][s]).f32x4ExtractLane(0).get(acc[r][s]).f32x4ExtractLane(1).f32Add();
        f.get(acc[r][s]).f32x4ExtractLane(2).f32Add().get(acc[r][s]).f32x4ExtractLane(3).f32Add();
        f.get(alpha).f32Mul().f32Store();
      }
    }
  };
  const columns = (rows: number) => steppedLoop(f, j, N, 4, 1, (step) => tile(rows, step));
  batchLoops(
    f,
    { b1, b2, B1, B2 },
    [
      [aB, a, aS1, aS2],
      [bB, b, bS1, bS2],
      [cB, c, cS1, cS2],
    ],
    () => {
      steppedLoop(f, i, M, 2, 1, columns);
    },
  );
  return f;
}

/** for b1 < B1, b2 < B2: base = ptr + b1·s1 + b2·s2 for each operand, then body. */
/**
 * Walks `index` from 0 over [0, limit) in steps of `wide` while a whole wide step fits, then in steps of
 * `narrow`, emitting `body(step)` for each: the usual register-tiled loop with its remainder loop.
 */
function steppedLoop(
  f: FunctionBuilder,
  index: Local,
  limit: Local,
  wide: number,
  narrow: number,
  body: (step: number) => void,
) {
  f.i32(0).set(index);
  for (const step of [wide, narrow]) {
    f.whileLoop(
      () => f.get(limit).get(index).i32Sub().i32(step).i32GeS(),
      () => {
        body(step);
        f.addTo(index, step);
      },
    );
  }
}

function batchLoops(
  f: FunctionBuilder,
  l: { b1: Local; b2: Local; B1: Local; B2: Local },
  bases: [Local, Local, Local, Local][],
  body: () => void,
) {
  f.i32(0).set(l.b1);
  f.whileLoop(
    () => f.get(l.B1).get(l.b1).i32GtS(),
    () => {
      f.i32(0).set(l.b2);
      f.whileLoop(
        () => f.get(l.B2).get(l.b2).i32GtS(),
        () => {
          for (const [base, ptr, s1, s2] of bases) {
            f.get(ptr).get(l.b1).get(s1).i32Mul().i32Add().get(l.b2).get(s2).i32Mul().i32Add().set(base);
          }
          body();
          f.addTo(l.b2, 1);
        },
      );
      f.addTo(l.b1, 1);
    },
  );
}

type KernelFn = (...args: number[]) => void;
interface Kernels {
  memory: object;
  nn: KernelFn;
  nt: KernelFn;
}

/** The part of the WebAssembly API used here (the engine compiles without the DOM typings). */
interface WasmApi {
  Memory: abstract new (...args: never[]) => object;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiled: object | undefined;
let instance: Kernels | undefined;

interface WasmBackendLike {
  wasm: { asm?: { memory?: unknown } };
  dataIdMap: { get(id: object): { memoryOffset: number; shape: number[] } | undefined };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
}

/** The kernels, instantiated on the backend's own memory (once per thread; again if the backend changes). */
function kernelsFor(backend: WasmBackendLike): Kernels {
  const memory = backend.wasm.asm?.memory;
  if (!(memory instanceof wasmApi.Memory)) throw new Error('strided matmul: wasm backend memory not found');
  if (instance?.memory === memory) return instance;
  compiled ??= new wasmApi.Module(assembleModule([buildNN(), buildNT()]));
  const exports = new wasmApi.Instance(compiled, { env: { memory } }).exports;
  const fresh: Kernels = { memory, nn: exports['nn'] as KernelFn, nt: exports['nt'] as KernelFn };
  instance = fresh;
  return fresh;
}

function extent(view: View, dims: readonly number[]): [number, number] {
  // dims: sizes along [batch1, batch2, row, column]
  let hi = view[0];
  let lo = view[0];
  for (let d = 0; d < 4; d++) {
    const reach = view[d + 1] * (dims[d] - 1);
    if (reach > 0) hi += reach;
    else lo += reach;
  }
  return [lo, hi];
}

/** Checks that an op reads and writes only inside its tensors: a wrong stride must never touch the heap. */
export function checkOp(op: MatOp, sizes: readonly number[], outSize: number): void {
  const [B1, B2, M, N, K] = op.dims;
  if (![B1, B2, M, N, K].every((d) => Number.isInteger(d) && d > 0))
    throw new Error(`strided matmul: bad dims ${op.dims}`);
  const views: [View, number[], number, string][] = [
    [op.aView, [B1, B2, M, K], sizes[op.a], 'A'],
    [op.bView, op.form === 'nn' ? [B1, B2, K, N] : [B1, B2, N, K], sizes[op.b], 'B'],
    [op.cView, [B1, B2, M, N], outSize, 'C'],
  ];
  for (const [view, dims, size, label] of views) {
    if (size === undefined) throw new Error(`strided matmul: operand ${label} is not an input`);
    if (!view.every((v) => Number.isInteger(v)))
      throw new Error(`strided matmul: ${label} view must be integers`);
    const [lo, hi] = extent(view, dims);
    if (lo < 0 || hi >= size)
      throw new Error(`strided matmul: ${label} view [${view}] leaves its tensor (${size})`);
  }
  if (op.form === 'nn') {
    if (N % 4 !== 0) throw new Error('strided matmul nn: N must be a multiple of 4');
    if (op.bView[4] !== 1 || op.cView[4] !== 1)
      throw new Error('strided matmul nn: B and C must be contiguous along j');
  } else {
    if (K % 4 !== 0) throw new Error('strided matmul nt: K must be a multiple of 4');
    if (op.aView[4] !== 1 || op.bView[4] !== 1)
      throw new Error('strided matmul nt: A and B must be contiguous along k');
  }
}

function stridedMatMulKernel(args: {
  inputs: tf.NamedTensorInfoMap;
  attrs?: tf.NamedAttrMap;
  backend: unknown;
}): tf.TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const attrs = args.attrs as unknown as { shape: number[]; ops: MatOp[] };
  const inputs = Object.keys(args.inputs)
    .sort((x, y) => Number(x.slice(1)) - Number(y.slice(1)))
    .map((key) => args.inputs[key] as tf.TensorInfo);
  const sizes = inputs.map((t) => t.shape.reduce((p, d) => p * d, 1));
  const outSize = attrs.shape.reduce((p, d) => p * d, 1);
  for (const op of attrs.ops) checkOp(op, sizes, outSize);
  const out = backend.makeOutput(attrs.shape, 'float32');
  const k = kernelsFor(backend);
  const addr = (t: tf.TensorInfo) => {
    const data = backend.dataIdMap.get(t.dataId);
    if (!data) throw new Error('strided matmul: tensor is not on the wasm backend');
    return data.memoryOffset;
  };
  const outAddr = addr(out);
  for (const op of attrs.ops) {
    const a = addr(inputs[op.a]) + 4 * op.aView[0];
    const b = addr(inputs[op.b]) + 4 * op.bView[0];
    const c = outAddr + 4 * op.cView[0];
    const [, a1, a2, am, ak] = op.aView;
    const [, b1, b2, br] = op.bView;
    const [, c1, c2, cm, cn] = op.cView;
    if (op.form === 'nn') k.nn(a, b, c, ...op.dims, a1, a2, am, ak, b1, b2, br, c1, c2, cm, op.alpha);
    else k.nt(a, b, c, ...op.dims, a1, a2, am, b1, b2, br, c1, c2, cm, cn, op.alpha);
  }
  return out;
}

let unusable: object | undefined;

/**
 * Whether the strided kernels can run: the wasm backend is active and the kernels instantiate on its memory
 * (they need wasm SIMD and a non-shared memory; otherwise callers fall back to plain tfjs ops).
 */
export function stridedMatMulAvailable(): boolean {
  if (tf.getBackend() !== 'wasm') return false;
  const backend = tf.backend() as unknown as WasmBackendLike;
  if (unusable !== undefined && unusable === backend) return false;
  try {
    kernelsFor(backend);
  } catch {
    unusable = backend;
    return false;
  }
  if (!tf.getKernel(STRIDED_MATMUL, 'wasm')) {
    tf.registerKernel({
      kernelName: STRIDED_MATMUL,
      backendName: 'wasm',
      kernelFunc: stridedMatMulKernel as tf.KernelFunc,
    });
  }
  return true;
}

/**
 * Runs `ops` into one new float32 tensor of `shape`. The ops must together write every element of it (they
 * are not zero-initialised). Not differentiable by itself: use inside a tf.customGrad.
 */
export function stridedMatMul(inputs: tf.Tensor[], shape: number[], ops: MatOp[]): tf.Tensor {
  if (!stridedMatMulAvailable()) throw new Error('strided matmul needs the wasm backend');
  const named: tf.NamedTensorMap = {};
  inputs.forEach((t, i) => {
    if (t.dtype !== 'float32') throw new Error('strided matmul: float32 tensors only');
    named[`x${i}`] = t;
  });
  return tf
    .engine()
    .runKernel(STRIDED_MATMUL, named, { shape, ops } as unknown as tf.NamedAttrMap) as tf.Tensor;
}
