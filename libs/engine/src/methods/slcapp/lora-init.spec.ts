import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jacobiEigen, topRightSingularVectors } from './lora-init';

/*
 * The LoRA initialisation against numpy's SVD (test/golden/lora_svd_reference.py wrote
 * test/fixtures/lora-svd.json): an 8-wide weight (the whole space in one Rayleigh–Ritz step) and a 40-wide
 * one (subspace iteration), both with closely spaced singular values.
 */
interface Case {
  inDim: number;
  outDim: number;
  rank: number;
  singularValues: number[];
  vectors: number[][];
}
const golden = JSON.parse(readFileSync(join(__dirname, '../../../test/fixtures/lora-svd.json'), 'utf8')) as {
  cases: Case[];
};

function weightOf(c: Case): Float32Array {
  return Float32Array.from(
    { length: c.inDim * c.outDim },
    (_, n) => Math.sin(0.7 * n + 1) * Math.cos(0.013 * n * n),
  );
}

describe('LoRA A from the top right singular vectors of the frozen qkv weight', () => {
  for (const c of golden.cases)
    it(`matches numpy's SVD for a ${c.inDim}×${c.outDim} weight, rank ${c.rank}`, () => {
      // numpy saw the float64 formula; the engine gets float32 weights, so the float32 rounding of the
      // weight (≤ 6e-8 relative) bounds the difference, well under the tolerance.
      const { vectors, values } = topRightSingularVectors(weightOf(c), c.inDim, c.outDim, c.rank);
      for (let r = 0; r < c.rank; r++) {
        expect(values[r]).toBeCloseTo(c.singularValues[r], 5);
        for (let i = 0; i < c.inDim; i++) expect(vectors[i * c.rank + r]).toBeCloseTo(c.vectors[r][i], 4);
      }
    });

  it('refuses a rank outside [1, in] and a weight of the wrong size, naming them', () => {
    expect(() => topRightSingularVectors(new Float32Array(6), 2, 3, 3)).toThrow(
      /rank must be an integer in \[1, 2\]/,
    );
    expect(() => topRightSingularVectors(new Float32Array(5), 2, 3, 1)).toThrow(
      /weight has 5 values, expected 2×3/,
    );
  });

  it('Jacobi gives a hand-computed 2×2 eigen-decomposition', () => {
    // [[2, 1], [1, 2]]: λ = 3 with (1, 1)/√2, λ = 1 with (1, −1)/√2 (up to sign).
    const { values, vectors } = jacobiEigen(Float64Array.from([2, 1, 1, 2]), 2);
    expect(values[0]).toBeCloseTo(3, 12);
    expect(values[1]).toBeCloseTo(1, 12);
    expect(Math.abs(vectors[0])).toBeCloseTo(Math.SQRT1_2, 12);
    expect(vectors[0] * vectors[2]).toBeCloseTo(0.5, 12);
    expect(vectors[1] * vectors[3]).toBeCloseTo(-0.5, 12);
  });
});
