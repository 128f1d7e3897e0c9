import { describe, expect, it } from 'vitest';
import { writeSafetensors } from '../weights/safetensors';
import { decodeEvalModel, decodeExperimentState, encodeEvalModel, evalModelMismatch } from './checkpoint';

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
  /** L2P's: a pool of 2 prompts of 1 token on a backbone of width 3. */
  const promptSpec = {
    kind: 'prompt-tuning' as const,
    pool: 2,
    length: 1,
    topK: 1,
    readout: 'prompt-mean' as const,
    keyLossWeight: 0.1,
  };

  it('round-trips backbone, heads and settings exactly', () => {
    expect(decodeEvalModel(encodeEvalModel(model))).toEqual(model);
  });

  it('round-trips a prompted method’s prompts and their spec exactly', () => {
    const prompted = {
      ...model,
      prompted: {
        spec: promptSpec,
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

  it('says what keeps a model from the backbone and heads a run reads, or nothing when it fits', () => {
    const pool = { name: 'prompt.pool', shape: [2, 1, 3], values: new Float32Array(6) };
    const keys = { name: 'prompt.keys', shape: [2, 3], values: new Float32Array(6) };
    const prompted = (tensors: (typeof pool)[]) => ({ ...model, prompted: { spec: promptSpec, tensors } });
    expect(evalModelMismatch(model, 3, 3)).toBeUndefined();
    expect(evalModelMismatch(prompted([pool, keys]), 3, 3)).toBeUndefined();
    // Heads of width 3 read on 4 features (a RanPAC projection of another size).
    expect(evalModelMismatch(model, 3, 4)).toBe(
      'head 0 has 3 weights and 1 biases; 1 classes on 4 features need 4 and 1',
    );
    const badBias = { ...model, heads: [model.heads[0], { ...model.heads[1], bias: new Float32Array(3) }] };
    expect(evalModelMismatch(badBias, 3, 3)).toBe(
      'head 1 has 6 weights and 3 biases; 2 classes on 3 features need 6 and 2',
    );
    expect(evalModelMismatch(prompted([pool, keys]), 4, 3)).toBe(
      'prompt tensor prompt.pool is [2, 1, 3] with 6 values; a backbone of width 4 reads [2, 1, 4]',
    );
    expect(evalModelMismatch(prompted([pool]), 3, 3)).toBe('prompt tensor prompt.keys is missing');
    expect(evalModelMismatch(prompted([pool, { ...keys, values: new Float32Array(5) }]), 3, 3)).toBe(
      'prompt tensor prompt.keys is [2, 3] with 5 values; a backbone of width 3 reads [2, 3]',
    );
    expect(
      evalModelMismatch(
        prompted([pool, keys, { name: 'prompt.g', shape: [1], values: new Float32Array(1) }]),
        3,
        3,
      ),
    ).toBe('prompt tensor prompt.g is not one its spec reads');
  });
});
