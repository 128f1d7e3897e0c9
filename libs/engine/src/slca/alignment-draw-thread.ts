import type { Worker } from 'node:worker_threads';
import type { Mt19937 } from '@slca/data';
import { spawnModuleWorker } from '@slca/compute';
import type { AlignmentDraws, AlignmentDrawSource } from './alignment';
import type { AlignmentDrawPlan, EpochDraws } from './alignment-draws';
import type { FromDrawThread, ToDrawThread } from './alignment-draw-protocol';

interface Waiter {
  resolve: (msg: FromDrawThread) => void;
  reject: (e: Error) => void;
}

/**
 * Makes classifier alignment's random draws on a thread of their own, ahead of the epoch that uses them:
 * while the calling thread trains the heads on epoch e's samples, this one draws epoch e + 1's (at most two
 * epochs ahead, so that memory stays at two epochs' draws). It starts from a copy of the stream's state and
 * hands the final state back at the end, so the numbers are those of drawing in the calling thread
 * (`drawHere`), bit for bit; the draws are most of alignment's time on the wasm backend.
 */
export class AlignmentDrawThread {
  private readonly waiting: { job: number; waiter: Waiter }[] = [];
  private nextJob = 0;
  private failure?: Error;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (msg: FromDrawThread) => this.onMessage(msg));
    worker.on('error', (e) => this.fail(e));
    worker.on('exit', (code) => this.fail(new Error(`alignment draw thread exited with code ${code}`)));
  }

  static async open(): Promise<AlignmentDrawThread> {
    const worker = spawnModuleWorker({
      dir: __dirname,
      callerFile: __filename,
      source: 'alignment-draw-worker.ts',
      compiled: ['alignment-draw-worker.js'],
    });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (msg: FromDrawThread) => {
        worker.off('message', onMessage);
        if (msg.type === 'ready') resolve();
        else reject(new Error(`alignment draw thread failed to start: ${msg.type}`));
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    }).catch(async (e) => {
      await worker.terminate();
      throw e;
    });
    return new AlignmentDrawThread(worker);
  }

  private onMessage(msg: FromDrawThread) {
    if (msg.type === 'ready') return;
    // Replies come in the order asked; those of a job given up (an alignment that threw) are dropped.
    while (this.waiting.length > 0 && this.waiting[0].job < msg.job) this.waiting.shift();
    const head = this.waiting[0];
    if (!head || head.job !== msg.job) return;
    this.waiting.shift();
    if (msg.type === 'error') head.waiter.reject(new Error(msg.message));
    else head.waiter.resolve(msg);
  }

  private fail(e: Error) {
    this.failure ??= e;
    for (const { waiter } of this.waiting.splice(0)) waiter.reject(e);
  }

  private ask(msg: ToDrawThread): Promise<FromDrawThread> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.push({ job: msg.job, waiter: { resolve, reject } });
      this.worker.postMessage(msg);
    });
  }

  /** alignClassifier's draw source on this thread. */
  readonly source: AlignmentDrawSource = (rng: Mt19937, plan: AlignmentDrawPlan, epochs: number) => {
    const job = this.nextJob++;
    if (!this.failure)
      this.worker.postMessage({ type: 'begin', job, state: rng.state, plan } satisfies ToDrawThread);
    const asked: Promise<FromDrawThread>[] = [];
    const askNext = () => {
      if (asked.length >= epochs) return;
      const reply = this.ask({ type: 'draw', job });
      // Awaited by epoch(); an alignment that stops early leaves its last answers unread, failed or not.
      reply.catch(() => undefined);
      asked.push(reply);
    };
    askNext();
    askNext();
    const draws: AlignmentDraws = {
      epoch: async (e: number): Promise<EpochDraws> => {
        const msg = await asked[e];
        askNext();
        if (msg?.type !== 'draws') throw new Error(`alignment draw thread: no draws for epoch ${e + 1}`);
        return { normals: msg.normals, uniforms: msg.uniforms, order: msg.order };
      },
      finish: async () => {
        const msg = await this.ask({ type: 'end', job });
        if (msg.type !== 'state') throw new Error('alignment draw thread: no final stream state');
        rng.state = msg.state;
      },
    };
    return draws;
  };

  async close(): Promise<void> {
    this.failure ??= new Error('alignment draw thread closed');
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}
