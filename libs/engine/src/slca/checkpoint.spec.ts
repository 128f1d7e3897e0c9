import { describe, expect, it } from 'vitest';
import { writeSafetensors } from '../weights/safetensors';
import { decodeEvalModel, decodeExperimentState, encodeEvalModel } from './checkpoint';

describe('evaluation model files', () => {
  const model = {
    task: 1,
    finalNormEps: 1e-5,
    backbone: Float32Array.from([0.1, -2, 3.5]),
    heads: [
      { classes: 1, weight: Float32Array.from([1, 2, 3]), bias: Float32Array.from([0.5]) },
      { classes: 2, weight: Float32Array.from([4, 5, 6, 7, 8, 9]), bias: Float32Array.from([-1, 1]) },
    ],
  };

  it('round-trips backbone, heads and settings exactly', () => {
    expect(decodeEvalModel(encodeEvalModel(model))).toEqual(model);
  });

  it('round-trips a prompted method’s prompts and their spec exactly', () => {
    const prompted = {
      ...model,
      prompted: {
        spec: {
          kind: 'prompt-tuning' as const,
          pool: 2,
          length: 1,
          topK: 1,
          readout: 'prompt-mean' as const,
          keyLossWeight: 0.1,
        },
        tensors: [
          { name: 'prompt.pool', shape: [2, 1, 3], values: Float32Array.from([1, 2, 3, 4, 5, 6]) },
          { name: 'prompt.keys', shape: [2, 3], values: Float32Array.from([-1, 0.5, 2, 3, 1e-7, 9]) },
        ],
      },
    };
    expect(decodeEvalModel(encodeEvalModel(prompted))).toEqual(prompted);
  });

  it('names what is wrong with a file that is not one', () => {
    const plain = writeSafetensors({ backbone: { shape: [1], data: Float32Array.from([1]) } });
    expect(() => decodeEvalModel(plain, 'runs/r1/models/0001')).toThrow(
      'runs/r1/models/0001: not an evaluation model (no slca.model)',
    );
    expect(() => decodeExperimentState(encodeEvalModel(model), 'ckpt')).toThrow(
      'ckpt: not an experiment checkpoint (no slca.experiment-state)',
    );
  });
});
