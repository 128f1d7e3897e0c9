import * as tf from '@tensorflow/tfjs-core';
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../backend';
import { ParamLayout } from '../params';
import {
  addWeighted,
  featuresOf,
  GradientScratch,
  gradientsInto,
  tensorsFrom,
  type GradientBatch,
  type ModelSpec,
} from './model-step';
import { FeedBuffer, OnnxForward } from './onnx-forward';
import { nativeGradientsUnsupported, OnnxTraining } from './onnx-train';
import {
  SUM_BLOCKS,
  type FromWorker,
  type ReduceTask,
  type ToWorker,
  type WorkerInit,
} from './worker-protocol';

/* One compute thread of a WorkerPool: holds a read-only view of the shared parameters. */

if (!parentPort) throw new Error('compute worker must run in a worker thread');
const port = parentPort;

let spec: ModelSpec | undefined;
let layout: ParamLayout | undefined;
let values: Float32Array | undefined;
let cached: { version: number; tensors: Record<string, tf.Tensor> } | undefined;
/** The `onnx` device's forward pass, and its copy of the parameters at one version. */
let onnx: OnnxForward | undefined;
let onnxValues: { version: number; values: Float32Array } | undefined;
const onnxFeed = new FeedBuffer();
/** The `onnx` device's training pass, when the installed model's gradients run natively (else tfjs's). */
let onnxTraining: OnnxTraining | undefined;
let trainsNatively = false;

function onnxValuesAt(version: number): Float32Array {
  if (!values) throw new Error('no model installed in the worker');
  if (onnxValues?.version !== version) onnxValues = { version, values: onnxFeed.refresh(values) };
  return onnxValues.values;
}

function paramsAt(version: number): Record<string, tf.Tensor> {
  if (!spec || !layout || !values) throw new Error('no model installed in the worker');
  if (cached?.version !== version) {
    if (cached) tf.dispose(Object.values(cached.tensors));
    cached = { version, tensors: tensorsFrom(layout, values) };
  }
  return cached.tensors;
}

const BARRIER_TIMEOUT_MS = 300_000;
/** This worker's gradient buffer for `gradientsAndSum` (one, whatever the number of shards). */
const scratch = new GradientScratch();

/** Waits (blocking this worker) until block b's turn reaches shard `k`; throws if another shard failed. */
function awaitTurn(sync: Int32Array, b: number, k: number) {
  for (;;) {
    if (Atomics.load(sync, 0) !== 0) throw new Error('gradient sum: another shard of the step failed');
    const turn = Atomics.load(sync, 1 + b);
    if (turn === k) return;
    if (turn > k) throw new Error(`gradient sum: shard ${k} found block ${b} at shard ${turn}`);
    if (Atomics.wait(sync, 1 + b, turn, BARRIER_TIMEOUT_MS) === 'timed-out') {
      throw new Error(`gradient sum: shard ${turn} did not finish within ${BARRIER_TIMEOUT_MS / 1000} s`);
    }
  }
}

async function shardGradient(
  s: ModelSpec,
  l: ParamLayout,
  version: number,
  batch: GradientBatch,
  out: Float32Array,
): Promise<number> {
  if (trainsNatively && onnxTraining) return onnxTraining.gradients(onnxValuesAt(version), batch, out);
  return gradientsInto(s, l, paramsAt(version), batch, out);
}

async function gradientStep(
  s: ModelSpec,
  l: ParamLayout,
  msg: ToWorker & { type: 'grad' },
): Promise<number[]> {
  const losses: number[] = [];
  const { reduce, outs } = msg;
  if (!reduce) {
    if (!outs) throw new Error('a gradient message needs output buffers or a sum');
    for (const [i, batch] of msg.batches.entries())
      losses.push(await shardGradient(s, l, msg.version, batch, outs[i]));
    return losses;
  }
  try {
    const g = scratch.of(l.total);
    for (const [i, batch] of msg.batches.entries()) {
      losses.push(await shardGradient(s, l, msg.version, batch, g));
      addInTurn(reduce, reduce.shards[i], g);
    }
  } catch (e) {
    // Tell the workers waiting for this shard's turn, so that none of them waits for it forever.
    Atomics.store(reduce.sync, 0, 1);
    for (let b = 0; b < SUM_BLOCKS; b++) Atomics.notify(reduce.sync, 1 + b);
    throw e;
  }
  return losses;
}

/** Shard k's turn in the sum, block by block: wait for shards 0..k-1 there, add weights[k]·g, pass it on. */
function addInTurn(reduce: ReduceTask, k: number, g: Float32Array) {
  const n = reduce.sum.length;
  for (let b = 0; b < SUM_BLOCKS; b++) {
    awaitTurn(reduce.sync, b, k);
    const start = Math.floor((b * n) / SUM_BLOCKS);
    const end = Math.floor(((b + 1) * n) / SUM_BLOCKS);
    addWeighted(reduce.sum, reduce.weights[k], g, k === 0, start, end);
    Atomics.store(reduce.sync, 1 + b, k + 1);
    Atomics.notify(reduce.sync, 1 + b);
  }
}

function reply(msg: FromWorker, transfer: ArrayBuffer[] = []) {
  port.postMessage(msg, transfer);
}

async function main() {
  const init = workerData as WorkerInit;
  const info = await initBackend(init.backend);
  if (init.forward === 'onnx') {
    onnx = new OnnxForward();
    onnxTraining = new OnnxTraining();
  }
  port.on('message', (msg: ToWorker) => {
    const id = msg.type === 'model' ? -1 : msg.id;
    try {
      if (msg.type === 'model') {
        spec = msg.spec;
        layout = new ParamLayout(msg.spec.layout);
        values = msg.values;
        if (cached) tf.dispose(Object.values(cached.tensors));
        cached = undefined;
        onnxValues = undefined;
        if (onnx) {
          const forward = onnx;
          forward.setModel(msg.spec).catch((e) => reply({ type: 'error', id: -1, message: String(e) }));
        }
        trainsNatively = onnxTraining !== undefined && nativeGradientsUnsupported(msg.spec) === null;
        if (onnxTraining && trainsNatively)
          onnxTraining.setModel(msg.spec).catch((e) => reply({ type: 'error', id: -1, message: String(e) }));
      } else if (!spec || !layout) {
        throw new Error('no model installed in the worker');
      } else if (msg.type === 'grad') {
        gradientStep(spec, layout, msg).then(
          (losses) => reply({ type: 'done', id, losses }),
          (e) => reply({ type: 'error', id, message: e instanceof Error ? e.message : String(e) }),
        );
      } else if (onnx && !msg.unprompted) {
        const features = onnx.features(onnxValuesAt(msg.version), msg.patches, msg.count);
        features.then(
          (f) => reply({ type: 'done', id, features: f }, [f.buffer as ArrayBuffer]),
          (e) => reply({ type: 'error', id, message: e instanceof Error ? e.message : String(e) }),
        );
      } else {
        // featuresOf returns a fresh array of its own: hand its buffer over instead of copying it.
        const features = featuresOf(spec, paramsAt(msg.version), msg.patches, msg.count, {
          unprompted: msg.unprompted,
        });
        reply({ type: 'done', id, features }, [features.buffer as ArrayBuffer]);
      }
    } catch (e) {
      reply({ type: 'error', id, message: e instanceof Error ? e.message : String(e) });
    }
  });
  reply({ type: 'ready', backend: info.name });
}

main().catch((e) => reply({ type: 'error', id: -1, message: e instanceof Error ? e.message : String(e) }));
