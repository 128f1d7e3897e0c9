import type { Mt19937State } from '@slca/data';
import type { AlignmentDrawPlan } from './alignment-draws';

/** To the draw thread: start a job from a stream state, draw its next epoch, or end it. */
export type ToDrawThread =
  | { type: 'begin'; job: number; state: Mt19937State; plan: AlignmentDrawPlan }
  | { type: 'draw'; job: number }
  | { type: 'end'; job: number };

/** From the draw thread: one epoch's draws, the stream's state at a job's end, or a failure. */
export type FromDrawThread =
  | { type: 'ready' }
  | {
      type: 'draws';
      job: number;
      normals: Float32Array;
      uniforms: Float64Array | null;
      order: Int32Array;
    }
  | { type: 'state'; job: number; state: Mt19937State }
  | { type: 'error'; job: number; message: string };
