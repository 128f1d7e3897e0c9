import { describe, expect, it } from 'vitest';
import { extent, linear, niceTicks, tickLabel } from './scale';

describe('chart scales', () => {
  it('puts round ticks over a domain', () => {
    expect(niceTicks({ min: 0, max: 100 }, 5)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks({ min: 0.3, max: 2.9 }, 5)).toEqual([1, 2]);
    expect(niceTicks({ min: 1, max: 1 })).toEqual([1]);
  });

  it('maps values linearly and pads the extent', () => {
    expect(linear({ min: 0, max: 10 }, 100, 200)(5)).toBe(150);
    expect(extent([2, 4], 0.5)).toEqual({ min: 1, max: 5 });
    expect(extent([])).toEqual({ min: 0, max: 1 });
  });

  it('labels ticks without float noise', () => {
    expect(tickLabel(0.1 + 0.2)).toBe('0.3');
    expect(tickLabel(0.0001)).toBe('1e-4');
  });
});
