import { promptShapes } from '@slca/compute';
import { readSafetensors, writeSafetensors, type TensorToWrite } from '../weights/safetensors';
import type { ExperimentState } from './experiment';
import type { MethodState, PromptedModel } from '../methods/method';
import type { Head } from './heads';

/** `__metadata__` key holding everything of the state that is not a float32 tensor. */
const STATE_KEY = 'slca.experiment-state';
const FORMAT = 'slca.experiment-state/v1';

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/**
 * A float64 array as F32 tensor data: its bytes reinterpreted, two float32 words per value. The writer and
 * the reader copy bytes on little-endian hosts, so the doubles come back bit for bit.
 */
function float64Bits(data: Float64Array): TensorToWrite {
  if (!LITTLE_ENDIAN)
    throw new CheckpointError('float64 method state needs a little-endian host to checkpoint bit-exactly');
  return { shape: [data.length * 2], data: new Float32Array(data.buffer, data.byteOffset, data.length * 2) };
}

function float64Of(words: Float32Array): Float64Array {
  const bytes = new Uint8Array(words.buffer, words.byteOffset, words.byteLength).slice();
  return new Float64Array(bytes.buffer);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

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
    if (state.training.secondMoment) tensors['training.secondMoment'] = vec(state.training.secondMoment);
  }
  for (const [name, data] of Object.entries(state.methodState?.tensors ?? {}))
    tensors[`method.${name}`] = float64Bits(data);
  const { backbone: _b, heads, training, methodState, ...rest } = state;
  const meta = {
    format: FORMAT,
    ...rest,
    heads: heads.map((h) => h.classes),
    training: training && { ...training, values: undefined, momentum: undefined, secondMoment: undefined },
    ...(methodState && {
      methodState: { tensors: Object.keys(methodState.tensors), values: methodState.values },
    }),
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
  const { format: _f, methodState: storedMethod, ...rest } = meta;
  const method = storedMethod as { tensors: string[]; values: MethodState['values'] } | undefined;
  return {
    ...(rest as unknown as ExperimentState),
    ...(method && {
      methodState: {
        tensors: Object.fromEntries(
          method.tensors.map((name) => [name, float64Of(tensor(`method.${name}`))]),
        ),
        values: method.values,
      },
    }),
    backbone: tensor('backbone'),
    heads,
    training: training && {
      ...training,
      values: tensor('training.values'),
      momentum: tensor('training.momentum'),
      ...(file.tensors.has('training.secondMoment') && { secondMoment: tensor('training.secondMoment') }),
    },
  };
}

const MODEL_KEY = 'slca.model';
const MODEL_FORMAT = 'slca.model/v1';

/** What the evaluator needs after a task: the backbone and the heads to evaluate (aligned, when aligned). */
export interface EvalModel {
  task: number;
  backbone: Float32Array;
  finalNormEps: number;
  heads: Head[];
  /** A prompted method's prompts (L2P) and how they are read; absent for every other method. */
  prompted?: PromptedModel;
}

export function encodeEvalModel(model: EvalModel): Uint8Array {
  const vec = (data: Float32Array): TensorToWrite => ({ shape: [data.length], data });
  const tensors: Record<string, TensorToWrite> = { backbone: vec(model.backbone) };
  model.heads.forEach((h, i) => {
    tensors[`heads.${i}.weight`] = vec(h.weight);
    tensors[`heads.${i}.bias`] = vec(h.bias);
  });
  for (const t of model.prompted?.tensors ?? []) tensors[`prompted.${t.name}`] = vec(t.values);
  const meta = {
    format: MODEL_FORMAT,
    task: model.task,
    finalNormEps: model.finalNormEps,
    heads: model.heads.map((h) => h.classes),
    ...(model.prompted && {
      prompted: {
        spec: model.prompted.spec,
        tensors: model.prompted.tensors.map((t) => ({ name: t.name, shape: t.shape })),
      },
    }),
  };
  return writeSafetensors(tensors, { [MODEL_KEY]: JSON.stringify(meta) });
}

/**
 * What keeps a decoded model from being read on a backbone of width `dim` whose heads read `headWidth`
 * features (the backbone's, or RanPAC's projection's): a head whose weights are not `classes × headWidth`
 * or whose biases are not `classes`, or a prompt tensor missing, unexpected or of another shape than its
 * spec reads. Undefined when the model fits.
 */
export function evalModelMismatch(model: EvalModel, dim: number, headWidth: number): string | undefined {
  for (const [i, h] of model.heads.entries()) {
    if (h.weight.length !== h.classes * headWidth || h.bias.length !== h.classes)
      return (
        `head ${i} has ${h.weight.length} weights and ${h.bias.length} biases; ${h.classes} classes ` +
        `on ${headWidth} features need ${h.classes * headWidth} and ${h.classes}`
      );
  }
  if (!model.prompted) return undefined;
  const expected = promptShapes(model.prompted.spec, dim);
  const given = new Map(model.prompted.tensors.map((t) => [t.name, t]));
  for (const [name, shape] of Object.entries(expected)) {
    const t = given.get(name);
    if (!t) return `prompt tensor ${name} is missing`;
    const size = shape.reduce((a, b) => a * b, 1);
    if (t.shape.join() !== shape.join() || t.values.length !== size)
      return (
        `prompt tensor ${name} is [${t.shape.join(', ')}] with ${t.values.length} values; ` +
        `a backbone of width ${dim} reads [${shape.join(', ')}]`
      );
  }
  const extra = [...given.keys()].find((name) => !(name in expected));
  return extra === undefined ? undefined : `prompt tensor ${extra} is not one its spec reads`;
}

export function decodeEvalModel(bytes: Uint8Array, source = '<model>'): EvalModel {
  const file = readSafetensors(bytes, source);
  const json = file.metadata[MODEL_KEY];
  if (json === undefined) throw new CheckpointError(`${source}: not an evaluation model (no ${MODEL_KEY})`);
  const meta = JSON.parse(json) as {
    format: string;
    task: number;
    finalNormEps: number;
    heads: number[];
    prompted?: { spec: PromptedModel['spec']; tensors: { name: string; shape: number[] }[] };
  };
  if (meta.format !== MODEL_FORMAT)
    throw new CheckpointError(`${source}: model format ${meta.format}, expected ${MODEL_FORMAT}`);
  const tensor = (name: string): Float32Array => {
    const t = file.tensors.get(name);
    if (!t) throw new CheckpointError(`${source}: missing tensor ${name}`);
    return t.data;
  };
  return {
    task: meta.task,
    finalNormEps: meta.finalNormEps,
    backbone: tensor('backbone'),
    heads: meta.heads.map((classes, i) => ({
      classes,
      weight: tensor(`heads.${i}.weight`),
      bias: tensor(`heads.${i}.bias`),
    })),
    ...(meta.prompted && {
      prompted: {
        spec: meta.prompted.spec,
        tensors: meta.prompted.tensors.map((t) => ({ ...t, values: tensor(`prompted.${t.name}`) })),
      },
    }),
  };
}
