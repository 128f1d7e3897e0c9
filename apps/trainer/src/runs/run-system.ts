import { cpus } from 'node:os';
import type { RunSystem } from '@slca/contracts';

/** One stage-1 step as the meter sees it. */
export interface MeteredStep {
  task: number;
  epoch: number;
  step: number;
  steps: number;
  images: number;
}

/** What the meter reports after a step: the process's memory now and the run's figures so far. */
export interface StepFigures {
  rssBytes: number;
  imagesPerSecond: number;
  stepMs: number;
}

/** The machine in a few words: CPU model, logical cores, Node.js version. */
export function hostDescription(): string {
  const cores = cpus();
  const model = cores[0]?.model.trim() || 'unknown CPU';
  return `${model} × ${cores.length} logical cores, Node.js ${process.version}`;
}

/**
 * Measures a run's stage-1 training: the wall time between consecutive steps (a step that follows the one
 * just before it in the same task; alignment, statistics and evaluation between tasks are not training),
 * their images, and the process's resident memory after each step. Figures of earlier executions (a
 * resumed run) are carried on: their steps, time, images and peak count with this one's.
 */
export class SystemMeter {
  private steps = 0;
  private seconds = 0;
  private images = 0;
  private peakRssBytes = 0;
  private last: { at: number; step: MeteredStep } | undefined;

  /** `now` in milliseconds, monotonic; `rss` in bytes. */
  constructor(
    previous?: RunSystem,
    private readonly now: () => number = () => performance.now(),
    private readonly rss: () => number = () => process.memoryUsage.rss(),
    private readonly host: string = hostDescription(),
  ) {
    if (previous && previous.steps > 0) {
      this.steps = previous.steps;
      this.seconds = (previous.steps * previous.stepMs) / 1000;
      this.images = previous.imagesPerSecond * this.seconds;
    }
    this.peakRssBytes = previous?.peakRssBytes ?? 0;
  }

  step(s: MeteredStep): StepFigures {
    const at = this.now();
    const rssBytes = this.rss();
    this.peakRssBytes = Math.max(this.peakRssBytes, rssBytes);
    const prev = this.last?.step;
    const follows =
      prev !== undefined &&
      prev.task === s.task &&
      ((prev.epoch === s.epoch && prev.step + 1 === s.step) ||
        (prev.epoch + 1 === s.epoch && s.step === 0 && prev.step + 1 === prev.steps));
    if (follows && this.last && at > this.last.at) {
      this.steps += 1;
      this.seconds += (at - this.last.at) / 1000;
      this.images += s.images;
    }
    this.last = { at, step: s };
    const { imagesPerSecond, stepMs } = this.rates();
    return { rssBytes, imagesPerSecond, stepMs };
  }

  /** Anything but a training step (alignment, statistics, evaluation): the next step starts a new chain. */
  interrupt(): void {
    this.last = undefined;
  }

  /** The run's figures so far; undefined before any measured step or memory reading. */
  figures(): RunSystem | undefined {
    if (this.steps === 0 && this.peakRssBytes === 0) return undefined;
    return { ...this.rates(), steps: this.steps, peakRssBytes: this.peakRssBytes, host: this.host };
  }

  private rates(): { imagesPerSecond: number; stepMs: number } {
    return this.steps === 0
      ? { imagesPerSecond: 0, stepMs: 0 }
      : { imagesPerSecond: this.images / this.seconds, stepMs: (this.seconds * 1000) / this.steps };
  }
}
