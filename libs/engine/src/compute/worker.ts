import * as tf from '@tensorflow/tfjs-core';
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../backend';
import { ParamLayout } from '../train/params';
import { featuresOf, gradientsInto, tensorsFrom, type ModelSpec } from './model-step';
import type { FromWorker, ToWorker, WorkerInit } from './worker-protocol';

/* One compute thread of a WorkerPool: holds a read-only view of the shared parameters. */

if (!parentPort) throw new Error('compute worker must run in a worker thread');
const port = parentPort;

let spec: ModelSpec | undefined;
let layout: ParamLayout | undefined;
let values: Float32Array | undefined;
let cached: { version: number; tensors: Record<string, tf.Tensor> } | undefined;

function paramsAt(version: number): Record<string, tf.Tensor> {
  if (!spec || !layout || !values) throw new Error('no model installed in the worker');
  if (cached?.version !== version) {
    if (cached) tf.dispose(Object.values(cached.tensors));
    cached = { version, tensors: tensorsFrom(layout, values) };
  }
  return cached.tensors;
}

function reply(msg: FromWorker, transfer: ArrayBuffer[] = []) {
  port.postMessage(msg, transfer);
}

async function main() {
  const init = workerData as WorkerInit;
  const info = await initBackend(init.backend);
  port.on('message', (msg: ToWorker) => {
    const id = msg.type === 'model' ? -1 : msg.id;
    try {
      if (msg.type === 'model') {
        spec = msg.spec;
        layout = new ParamLayout(msg.spec.layout);
        values = msg.values;
        if (cached) tf.dispose(Object.values(cached.tensors));
        cached = undefined;
      } else if (!spec || !layout) {
        throw new Error('no model installed in the worker');
      } else if (msg.type === 'grad') {
        const loss = gradientsInto(spec, layout, paramsAt(msg.version), msg.batch, msg.out);
        reply({ type: 'done', id, loss });
      } else {
        const features = featuresOf(spec, paramsAt(msg.version), msg.patches, msg.count);
        const copy = features.slice();
        reply({ type: 'done', id, features: copy }, [copy.buffer as ArrayBuffer]);
      }
    } catch (e) {
      reply({ type: 'error', id, message: e instanceof Error ? e.message : String(e) });
    }
  });
  reply({ type: 'ready', backend: info.name });
}

main().catch((e) => reply({ type: 'error', id: -1, message: e instanceof Error ? e.message : String(e) }));
