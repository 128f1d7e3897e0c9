import type { RunSystem } from '@slca/contracts';

/** The running figures a live step carries (the same as the run's, fresher). */
export interface LiveFigures {
  imagesPerSecond?: number;
  stepMs?: number;
  rssBytes?: number;
}

/** The run's system figures: the record's, with a live step's where it is newer. */
export function currentFigures(
  system: RunSystem | undefined,
  live: LiveFigures | undefined,
): { imagesPerSecond?: number; stepMs?: number; peakRssBytes?: number; rssBytes?: number } {
  const measured = (v: number | undefined) => (v !== undefined && v > 0 ? v : undefined);
  const peak = Math.max(system?.peakRssBytes ?? 0, live?.rssBytes ?? 0);
  return {
    imagesPerSecond: measured(live?.imagesPerSecond) ?? measured(system?.imagesPerSecond),
    stepMs: measured(live?.stepMs) ?? measured(system?.stepMs),
    peakRssBytes: peak > 0 ? peak : undefined,
    rssBytes: measured(live?.rssBytes),
  };
}
