import type { TrainHistoryPoint } from '@slca/artifacts';
import type { Marker, Series, XView } from '../components/charts/line-chart';
import { bandText, meanStdBand } from '../components/charts/plot-data';
import { availableAxes, TRAIN_AXIS_TITLES, taskStarts, trainAxes, type TrainAxis } from './train-axes';

/** One run's recorded steps, and what of each step to plot. */
export interface TrainCurve {
  name: string;
  steps: readonly TrainHistoryPoint[];
  y: (p: TrainHistoryPoint) => number;
  colour?: string;
}

/** A chart's curves on its first axis (epochs), and the same curves on every other axis all runs have. */
export interface TrainCurveViews {
  series: Series[];
  xLabel: string;
  markers: Marker[];
  views: XView[];
}

/**
 * Training curves of one or more runs against epochs, steps, tasks and (where every step has a clock)
 * time; task boundaries are marked when the chart shows a single run.
 */
export function trainCurveViews(
  curves: readonly TrainCurve[],
  boundaries = curves.length === 1,
): TrainCurveViews {
  const placed = curves.map((c) => ({ c, axes: trainAxes(c.steps) }));
  const axes = (['epoch', 'step', 'task', 'time'] as TrainAxis[]).filter((a) =>
    curves.every((c) => availableAxes(c.steps).includes(a)),
  );
  const on = (axis: TrainAxis): { series: Series[]; markers: Marker[] } => ({
    series: placed.map(({ c, axes: xs }) => ({
      name: c.name,
      colour: c.colour,
      dots: false,
      points: c.steps.map((p, i) => ({ x: xs[i][axis] as number, y: c.y(p) })),
    })),
    markers:
      boundaries && placed[0]
        ? taskStarts(placed[0].c.steps, placed[0].axes, axis).map((s) => ({
            x: s.x,
            label: `task ${s.task + 1}`,
          }))
        : [],
  });
  const title = (axis: TrainAxis) =>
    `${TRAIN_AXIS_TITLES[axis]}${boundaries ? ' (dashed: task boundaries)' : ''}`;
  const first = on('epoch');
  return {
    ...first,
    xLabel: title('epoch'),
    views: axes
      .filter((a) => a !== 'epoch')
      .map((axis) => ({ id: axis, label: axis, xLabel: title(axis), ...on(axis) })),
  };
}

/** At most `max` steps of a long history for an overlay: every k-th, and the last. */
export function thinSteps<T>(points: readonly T[], max = 1500): T[] {
  const k = Math.max(1, Math.ceil(points.length / max));
  return points.filter((_, i) => i % k === 0 || i === points.length - 1);
}

/**
 * A_t of each configuration group over its seeds as a chart series: the mean at each task, a band of ± one
 * std (numpy's, ddof 0) where more than one seed reached the task, and the legend's text (`n = 1` for a
 * single seed, never `± 0.00`).
 */
export function accuracyBandSeries(
  groups: readonly { label: string; runs: readonly { accuracies: readonly number[] }[] }[],
): Series[] {
  return groups.map((g) => {
    const band = meanStdBand(g.runs.map((r) => r.accuracies));
    const seeds = g.runs.length;
    const spread = band.map((b, t) => ({ x: t + 1, lo: b.lo, hi: b.hi, n: b.n })).filter((b) => b.n > 1);
    return {
      name: `${g.label} (${seeds} ${seeds === 1 ? 'seed' : 'seeds'})`,
      dots: true,
      points: band.map((b, t) => ({ x: t + 1, y: b.mean })),
      ...(spread.length ? { band: spread.map(({ x, lo, hi }) => ({ x, lo, hi })) } : {}),
      labels: band.map((b, t) => ({ x: t + 1, text: bandText(b) })),
    };
  });
}
