import type { RunEvent } from '@slca/contracts';
import type { ProgressEvent } from '@slca/engine';

/** What a progress event becomes on the run's event stream. */
export type ProgressRunEvent = Omit<RunEvent, 'runId' | 'atMs'>;

/**
 * Turns the engine's progress events of one execution into run events: stage-1 steps as TrainProgress
 * with an ETA, alignment and statistics as PhaseProgress. The ETA extrapolates this execution's own pace
 * from the first step it saw, so a resumed run does not count the steps done before it resumed.
 */
export class RunProgress {
  private readonly start: number;
  private firstFraction: number | undefined;

  /** `now` in milliseconds, monotonic. */
  constructor(private readonly now: () => number = () => performance.now()) {
    this.start = now();
  }

  event(e: ProgressEvent): ProgressRunEvent | undefined {
    if (e.phase === 'train') {
      const total = e.tasks * e.epochs * e.steps;
      const fraction = ((e.task * e.epochs + e.epoch) * e.steps + e.step + 1) / total;
      const first = (this.firstFraction ??= fraction);
      const elapsed = (this.now() - this.start) / 1000;
      const etaSeconds = fraction > first ? (elapsed * (1 - fraction)) / (fraction - first) : 0;
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
        },
      };
    }
    if (e.phase === 'align')
      return {
        phase: { phase: 'align', task: e.task, tasks: e.tasks, step: e.step, steps: e.steps, loss: e.loss },
      };
    if (e.phase === 'statistics')
      return {
        phase: { phase: 'statistics', task: e.task, tasks: e.tasks, step: 0, steps: e.classes, loss: 0 },
      };
    return undefined;
  }
}
