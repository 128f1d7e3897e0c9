import { describe, expect, it } from 'vitest';
import { currentFigures } from './system-figures';

const system = { imagesPerSecond: 12.5, stepMs: 640, steps: 30, peakRssBytes: 900, host: 'h' };

describe('system figures', () => {
  it('takes a live step’s rates, and the larger of the recorded peak and the memory now', () => {
    expect(currentFigures(system, { imagesPerSecond: 20, stepMs: 400, rssBytes: 1000 })).toEqual({
      imagesPerSecond: 20,
      stepMs: 400,
      peakRssBytes: 1000,
      rssBytes: 1000,
    });
    expect(currentFigures(system, { imagesPerSecond: 20, stepMs: 400, rssBytes: 800 }).peakRssBytes).toBe(
      900,
    );
  });

  it('keeps the recorded rates while a live step has none yet (0), and shows nothing unmeasured', () => {
    expect(currentFigures(system, { imagesPerSecond: 0, stepMs: 0, rssBytes: 0 })).toEqual({
      imagesPerSecond: 12.5,
      stepMs: 640,
      peakRssBytes: 900,
      rssBytes: undefined,
    });
    expect(currentFigures(undefined, undefined)).toEqual({
      imagesPerSecond: undefined,
      stepMs: undefined,
      peakRssBytes: undefined,
      rssBytes: undefined,
    });
  });
});
