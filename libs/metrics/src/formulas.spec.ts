import { describe, expect, it } from 'vitest';
import { FORMULAS } from './index';

describe('FORMULAS', () => {
  it('covers every metric the library computes', () => {
    expect(Object.keys(FORMULAS).sort()).toEqual([
      'accuracyAfterTask',
      'bwt',
      'forgetting',
      'incAcc',
      'lastAcc',
    ]);
  });

  it.each(Object.entries(FORMULAS))('%s has text, balanced LaTeX and a legend', (_, formula) => {
    expect(formula.name.length).toBeGreaterThan(0);
    expect(formula.text.startsWith(formula.name === 'Forgetting' ? 'F =' : `${formula.name} =`)).toBe(true);
    expect(formula.legend.length).toBeGreaterThan(20);
    let depth = 0;
    for (const ch of formula.latex) {
      if (ch === '{') depth += 1;
      if (ch === '}') depth -= 1;
      expect(depth).toBeGreaterThanOrEqual(0);
    }
    expect(depth).toBe(0);
  });

  it('states the definitions this library implements', () => {
    // The max runs over earlier rows only, the BWT reference is the diagonal, A_t is image-weighted.
    expect(FORMULAS.forgetting.latex).toContain('\\max_{j \\le i \\le T-1} R_{i,j} - R_{T,j}');
    expect(FORMULAS.bwt.latex).toContain('R_{T,j} - R_{j,j}');
    expect(FORMULAS.accuracyAfterTask.legend).toContain('Image-weighted');
    expect(FORMULAS.incAcc.latex).toBe('\\text{Inc-Acc} = \\frac{1}{T} \\sum_{t=1}^{T} A_t');
  });
});
