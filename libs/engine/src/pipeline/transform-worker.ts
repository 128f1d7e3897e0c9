import { parentPort } from 'node:worker_threads';
import { pipelineOutput, runPlan, TransformError } from '@slca/data';
import type { TransformJob, TransformReply } from './transform-worker-protocol';

/** Runs planned transforms for {@link TransformPool}: one job at a time, outputs packed NHWC. */
const port = parentPort;
if (!port) throw new Error('transform-worker must run as a worker thread');
port.on('message', (job: TransformJob) => {
  let reply: TransformReply;
  try {
    const per = job.size * job.size * 3;
    const data = new Float32Array(job.images.length * per);
    job.images.forEach((image, k) => {
      const out = pipelineOutput(image, runPlan(image, job.plans[k]), job.first + k, job.size);
      data.set(out.data, k * per);
    });
    reply = { id: job.id, ok: true, data };
    port.postMessage(reply, [data.buffer]);
  } catch (error) {
    reply = {
      id: job.id,
      ok: false,
      message: error instanceof Error ? error.message : String(error),
      transformError: error instanceof TransformError,
    };
    port.postMessage(reply);
  }
});
port.postMessage('ready');
