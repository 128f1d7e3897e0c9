import * as tf from '@tensorflow/tfjs-core';
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../backend';
import { ParamLayout } from '../train/params';
import { featuresOf, gradientsInto, tensorsFrom, weightedSumRange, type ModelSpec } from './model-step';
import { FeedBuffer, OnnxForward } from './onnx-forward';
import { nativeGradientsUnsupported, OnnxTraining } from './onnx-train';
import type { FromWorker, ToWorker, WorkerInit } from './worker-protocol';

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

/** Waits (blocking this worker) until `target` shards of the step are done. */
function barrier(sync: Int32Array, target: number) {
  for (;;) {
    const seen = Atomics.load(sync, 0);
    if (seen >= target) return;
    if (Atomics.wait(sync, 0, seen, BARRIER_TIMEOUT_MS) === 'timed-out') {
      throw new Error(`gradient sum: the other shards did not finish within ${BARRIER_TIMEOUT_MS / 1000} s`);
    }
  }
}

const BARRIER_TIMEOUT_MS = 300_000;

async function gradientStep(
  s: ModelSpec,
  l: ParamLayout,
  msg: ToWorker & { type: 'grad' },
): Promise<number[]> {
  const losses: number[] = [];
  const reduce = msg.reduce;
  try {
    if (trainsNatively && onnxTraining) {
      const feed = onnxValuesAt(msg.version);
      for (const [i, batch] of msg.batches.entries())
        losses.push(await onnxTraining.gradients(feed, batch, msg.outs[i]));
    } else {
      const params = paramsAt(msg.version);
      msg.batches.forEach((batch, i) => losses.push(gradientsInto(s, l, params, batch, msg.outs[i])));
    }
  } finally {
    // Count this worker's shards as finished even on failure, so that no other worker waits forever.
    if (reduce) {
      Atomics.add(reduce.sync, 0, msg.batches.length);
      Atomics.notify(reduce.sync, 0);
    }
  }
  if (reduce) {
    barrier(reduce.sync, reduce.shards);
    weightedSumRange(reduce.grads, reduce.weights, reduce.sum, reduce.start, reduce.end);
  }
  return losses;
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
