import type { RunEvent, RunSystem } from '@slca/contracts';
import type { ProgressEvent } from '@slca/engine';
import { SystemMeter } from './run-system';

/** What a progress event becomes on the run's event stream. */
export type ProgressRunEvent = Omit<RunEvent, 'runId' | 'atMs'>;

/**
 * Turns the engine's progress events of one execution into run events: stage-1 steps as TrainProgress
 * with an ETA, alignment, statistics and a method's adapter initialisation as PhaseProgress. The ETA extrapolates this execution's own pace
 * from the first step it saw, so a resumed run does not count the steps done before it resumed. Each step
 * also goes through the run's system meter: its images, the process's memory and the run's img/s and step
 * time so far travel with the step.
 */
export class RunProgress {
  private readonly start: number;
  private firstFraction: number | undefined;

  /** `now` in milliseconds, monotonic. */
  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly meter: SystemMeter = new SystemMeter(undefined, now),
  ) {
    this.start = now();
  }

  /** The run's system figures so far (with those of its earlier executions the meter was given). */
  system(): RunSystem | undefined {
    return this.meter.figures();
  }

  event(e: ProgressEvent): ProgressRunEvent | undefined {
    if (e.phase === 'train') {
      const total = e.tasks * e.epochs * e.steps;
      const fraction = ((e.task * e.epochs + e.epoch) * e.steps + e.step + 1) / total;
      const first = (this.firstFraction ??= fraction);
      const elapsed = (this.now() - this.start) / 1000;
      const etaSeconds = fraction > first ? (elapsed * (1 - fraction)) / (fraction - first) : 0;
      const { rssBytes, imagesPerSecond, stepMs } = this.meter.step(e);
      return {
        train: {
          task: e.task,
          tasks: e.tasks,
          epoch: e.epoch,
          epochs: e.epochs,
          step: e.step,
          steps: e.steps,
          loss: e.loss,
          lr: e.lr,
          backboneLr: e.backboneLr,
          etaSeconds,
          images: e.images,
          rssBytes,
          imagesPerSecond,
          stepMs,
        },
      };
    }
    this.meter.interrupt();
    if (e.phase === 'align')
      return {
        phase: { phase: 'align', task: e.task, tasks: e.tasks, step: e.step, steps: e.steps, loss: e.loss },
      };
    if (e.phase === 'adapters')
      return {
        phase: { phase: 'adapters', task: e.task, tasks: e.tasks, step: e.step, steps: e.steps, loss: 0 },
      };
    if (e.phase === 'statistics')
      return {
        phase: { phase: 'statistics', task: e.task, tasks: e.tasks, step: 0, steps: e.classes, loss: 0 },
      };
    return undefined;
  }
}
