import type { PlannedOp, RgbImage } from '@slca/data';

/** A slice of a batch: images `first`, `first + 1`, … of the batch with their plans. */
export interface TransformJob {
  id: number;
  first: number;
  size: number;
  images: RgbImage[];
  plans: PlannedOp[][];
}

export type TransformReply =
  | { id: number; ok: true; data: Float32Array }
  | { id: number; ok: false; message: string; transformError: boolean };
