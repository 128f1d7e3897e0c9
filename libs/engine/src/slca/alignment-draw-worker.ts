import { Mt19937 } from '@slca/data';
import { parentPort } from 'node:worker_threads';
import { drawEpoch, type AlignmentDrawPlan } from './alignment-draws';
import type { FromDrawThread, ToDrawThread } from './alignment-draw-protocol';

/* The thread of AlignmentDrawThread: one job at a time, each epoch's draws in the order asked for. */

const port = parentPort;
if (!port) throw new Error('alignment-draw-worker must run as a worker thread');
let job: { id: number; rng: Mt19937; plan: AlignmentDrawPlan } | null = null;

function reply(msg: FromDrawThread, transfer: ArrayBuffer[] = []) {
  port?.postMessage(msg, transfer);
}

port.on('message', (msg: ToDrawThread) => {
  try {
    if (msg.type === 'begin') {
      const rng = new Mt19937(0);
      rng.state = msg.state;
      job = { id: msg.job, rng, plan: msg.plan };
      return;
    }
    if (!job || job.id !== msg.job) throw new Error(`draw thread: no job ${msg.job} under way`);
    if (msg.type === 'draw') {
      const d = drawEpoch(job.rng, job.plan);
      const transfer = [d.normals.buffer, d.order.buffer, ...(d.uniforms ? [d.uniforms.buffer] : [])];
      reply({ type: 'draws', job: job.id, ...d }, transfer as ArrayBuffer[]);
    } else {
      reply({ type: 'state', job: job.id, state: job.rng.state });
      job = null;
    }
  } catch (e) {
    reply({ type: 'error', job: msg.job, message: e instanceof Error ? e.message : String(e) });
  }
});
reply({ type: 'ready' });
