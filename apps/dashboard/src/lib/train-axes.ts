import type { TrainHistoryPoint } from '@slca/artifacts';

/** What a training curve can be plotted against. */
export type TrainAxis = 'epoch' | 'step' | 'task' | 'time';

export const TRAIN_AXIS_TITLES: Record<TrainAxis, string> = {
  epoch: 'epochs since the run began',
  step: 'optimizer steps since the run began',
  task: 'tasks since the run began',
  time: 'seconds since the first recorded step',
};

/** One recorded step placed on every axis the data allows (time only where the step has a clock). */
export interface TrainAxes {
  epoch: number;
  step: number;
  task: number;
  time?: number;
}

/**
 * Where each step lies on the run's axes: task t's epochs span [t·E, (t+1)·E) on the epoch axis and
 * [t, t+1) on the task axis, a step ends at (step + 1)/steps of its epoch; the step axis counts optimizer
 * steps from the run's start (tasks of different sizes have different steps per epoch; a task none of whose
 * steps is at hand counts with the steps of the task after it); time is seconds since the first step that
 * has a clock.
 */
export function trainAxes(points: readonly TrainHistoryPoint[]): TrainAxes[] {
  const stepsOf = new Map<number, number>();
  for (const p of points) if (!stepsOf.has(p.task)) stepsOf.set(p.task, Math.max(1, p.steps));
  const t0 = points.find((p) => p.atMs !== undefined)?.atMs;
  return points.map((p) => {
    const steps = Math.max(1, p.steps);
    const within = p.epoch + (p.step + 1) / steps;
    let before = 0;
    let fallback = steps;
    for (let t = p.task - 1; t >= 0; t--) {
      fallback = stepsOf.get(t) ?? fallback;
      before += p.epochs * fallback;
    }
    return {
      epoch: p.task * p.epochs + within,
      step: before + p.epoch * steps + p.step + 1,
      task: p.task + within / Math.max(1, p.epochs),
      ...(p.atMs !== undefined && t0 !== undefined ? { time: (p.atMs - t0) / 1000 } : {}),
    };
  });
}

/** The axes every point has (time only when every point has a clock). */
export function availableAxes(points: readonly TrainHistoryPoint[]): TrainAxis[] {
  const axes: TrainAxis[] = ['epoch', 'step', 'task'];
  return points.length > 0 && points.every((p) => p.atMs !== undefined) ? [...axes, 'time'] : axes;
}

/**
 * Images per second at each step, from its images and the time since the step before it; null where the
 * step before is not the one just before it (the first step, a task's first step after alignment and
 * evaluation, a gap in the record) or either has no clock.
 */
export function stepThroughput(points: readonly TrainHistoryPoint[]): (number | null)[] {
  return points.map((p, i) => {
    const prev = points[i - 1];
    if (!prev || prev.atMs === undefined || p.atMs === undefined || p.images === undefined) return null;
    const next =
      prev.task === p.task &&
      ((prev.epoch === p.epoch && prev.step + 1 === p.step) ||
        (prev.epoch + 1 === p.epoch && p.step === 0 && prev.step + 1 === prev.steps));
    const seconds = (p.atMs - prev.atMs) / 1000;
    return next && seconds > 0 ? p.images / seconds : null;
  });
}

/** Where each task's training begins on `axis` (the first recorded step of each task, on the time axis). */
export function taskStarts(
  points: readonly TrainHistoryPoint[],
  axes: readonly TrainAxes[],
  axis: TrainAxis,
): { task: number; x: number }[] {
  const starts: { task: number; x: number }[] = [];
  points.forEach((p, i) => {
    if (starts.some((s) => s.task === p.task)) return;
    const a = axes[i];
    const x =
      axis === 'epoch'
        ? p.task * p.epochs
        : axis === 'task'
          ? p.task
          : axis === 'step'
            ? a.step - (p.epoch * Math.max(1, p.steps) + p.step + 1)
            : a.time;
    if (x !== undefined) starts.push({ task: p.task, x });
  });
  return starts;
}
