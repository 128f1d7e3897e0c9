import { readSafetensors, writeSafetensors, type TensorToWrite } from '../weights/safetensors';
import type { ExperimentState } from './experiment';

/** `__metadata__` key holding everything of the state that is not a float32 tensor. */
const STATE_KEY = 'slca.experiment-state';
const FORMAT = 'slca.experiment-state/v1';

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/**
 * An experiment state as one safetensors file: the float32 buffers (backbone, heads, mid-task model and
 * momentum) as tensors, the rest (position, random-stream states, metrics so far, configuration) as JSON in
 * the header. Numbers survive JSON exactly (shortest round-trip form), so a decoded state resumes
 * bit-identically.
 */
export function encodeExperimentState(state: ExperimentState): Uint8Array {
  const vec = (data: Float32Array): TensorToWrite => ({ shape: [data.length], data });
  const tensors: Record<string, TensorToWrite> = { backbone: vec(state.backbone) };
  state.heads.forEach((h, i) => {
    tensors[`heads.${i}.weight`] = vec(h.weight);
    tensors[`heads.${i}.bias`] = vec(h.bias);
  });
  if (state.training) {
    tensors['training.values'] = vec(state.training.values);
    tensors['training.momentum'] = vec(state.training.momentum);
  }
  const { backbone: _b, heads, training, ...rest } = state;
  const meta = {
    format: FORMAT,
    ...rest,
    heads: heads.map((h) => h.classes),
    training: training && { ...training, values: undefined, momentum: undefined },
  };
  return writeSafetensors(tensors, { [STATE_KEY]: JSON.stringify(meta) });
}

export function decodeExperimentState(bytes: Uint8Array, source = '<checkpoint>'): ExperimentState {
  const file = readSafetensors(bytes, source);
  const json = file.metadata[STATE_KEY];
  if (json === undefined)
    throw new CheckpointError(`${source}: not an experiment checkpoint (no ${STATE_KEY})`);
  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(json) as Record<string, unknown>;
  } catch (e) {
    throw new CheckpointError(`${source}: unreadable state header: ${(e as Error).message}`);
  }
  if (meta.format !== FORMAT)
    throw new CheckpointError(`${source}: checkpoint format ${String(meta.format)}, expected ${FORMAT}`);
  const tensor = (name: string): Float32Array => {
    const t = file.tensors.get(name);
    if (!t) throw new CheckpointError(`${source}: missing tensor ${name}`);
    return t.data;
  };
  const headSizes = meta.heads as number[];
  const heads = headSizes.map((classes, i) => ({
    classes,
    weight: tensor(`heads.${i}.weight`),
    bias: tensor(`heads.${i}.bias`),
  }));
  const training = meta.training as ExperimentState['training'];
  const { format: _f, ...rest } = meta;
  return {
    ...(rest as unknown as ExperimentState),
    backbone: tensor('backbone'),
    heads,
    training: training && {
      ...training,
      values: tensor('training.values'),
      momentum: tensor('training.momentum'),
    },
  };
}
