import { describe, expect, it } from 'vitest';
import { TINY_ARCH, tinyConfig, tinyDataset } from '../../test/tiny-experiment';
import { decodeExperimentState, encodeExperimentState } from '../slca/checkpoint';
import {
  runExperiment,
  streamRng,
  type CheckpointReason,
  type ExperimentState,
  type ExperimentResult,
} from '../slca/experiment';
import type { ClassStatistics } from '../slca/statistics';
import { MemoryStatistics, type StatisticsSink } from '../slca/statistics-sink';
import { randomBackbone } from '../weights/vit-weights';
import { METHOD_REGISTRY } from './registry';

const backbone = () => randomBackbone(TINY_ARCH, streamRng(1, 'test-init'));

class RecordingStatistics extends MemoryStatistics implements StatisticsSink {
  readonly puts: ClassStatistics[] = [];
  override async put(stats: ClassStatistics): Promise<void> {
    this.puts.push(stats);
    await super.put(stats);
  }
}

/** The statistics store as it is when `state` is the latest checkpoint: the classes of completed tasks. */
async function storeAt(state: ExperimentState, all: RecordingStatistics): Promise<MemoryStatistics> {
  const store = new MemoryStatistics();
  for (const s of all.puts) if (s.task < state.task) await store.put(s);
  return store;
}

/** Everything a run leaves that does not depend on the clock: metrics, losses, and the final model. */
function comparable(result: ExperimentResult, last: ExperimentState) {
  return {
    matrix: result.accuracyMatrix,
    accuracies: result.accuracies,
    records: result.tasks.map(({ seconds: _s, ...r }) => r),
    backbone: Array.from(last.backbone),
    finalNormEps: last.finalNormEps,
    heads: last.heads.map((h) => ({
      classes: h.classes,
      weight: Array.from(h.weight),
      bias: Array.from(h.bias),
    })),
    methodState: last.methodState && {
      tensors: Object.fromEntries(
        Object.entries(last.methodState.tensors).map(([k, v]) => [k, Array.from(v)]),
      ),
      values: last.methodState.values,
    },
    rng: last.rng,
    trainedImages: last.trainedImages,
  };
}

/** Runs `cfg`, keeping every checkpoint as the bytes a killed trainer would leave in the store. */
async function runSaving(
  cfg: ReturnType<typeof tinyConfig>,
  resumeFrom?: ExperimentState,
  statistics: StatisticsSink = new MemoryStatistics(),
) {
  const saved: { state: ExperimentState; reason: CheckpointReason }[] = [];
  const result = await runExperiment(cfg, tinyDataset(), backbone(), {
    resumeFrom,
    statistics,
    checkpoint: {
      every: 2,
      save: async (s, reason) =>
        void saved.push({ state: decodeExperimentState(encodeExperimentState(s)), reason }),
    },
  });
  return { result, saved };
}

// One case per registered method: a method added to the registry without a working resume fails here.
describe.each(METHOD_REGISTRY.map((m) => [m.id, m] as const))('resume after a kill: %s', (id, method) => {
  it('resuming from a mid-task and a task-boundary checkpoint gives the uninterrupted run bit for bit', async () => {
    const cfg = tinyConfig(id);
    const stats = new RecordingStatistics();
    const full = await runSaving(cfg, undefined, stats);
    const tasks = full.result.taskSizes.length;
    const states = full.saved.map((s) => s.state);
    const finalState = full.saved[full.saved.length - 1];
    expect(finalState?.reason).toBe('task');
    expect(finalState?.state.task).toBe(tasks);

    // Mid-task: the first checkpoint taken inside stage 1 (in the first task it trains) and the latest,
    // preferably mid-epoch. A method that never fine-tunes must leave none (and then has only boundaries).
    const trainingTasks = [...Array(tasks).keys()].filter((t) => method.fineTunes(cfg, t));
    const midTask = states.filter((s) => s.training !== null);
    if (trainingTasks.length === 0) expect(midTask).toHaveLength(0);
    else expect(new Set(midTask.map((s) => s.task))).toEqual(new Set(trainingTasks));
    const first = midTask.at(0);
    const mid = midTask.filter((s) => s.step > 0).at(-1) ?? midTask.at(-1);

    // Task boundary: before the last task when there are several (the state then holds every earlier
    // task's heads and method state); a single-task method's only boundary is the end of the run.
    const boundaries = states.filter((s) => s.training === null);
    expect(boundaries.map((s) => s.task)).toEqual([...Array(tasks).keys()].map((t) => t + 1));
    const boundary = boundaries.find((s) => s.task === Math.max(1, tasks - 1));
    expect(boundary).toBeDefined();

    const expected = comparable(full.result, finalState.state);
    for (const from of [first, mid, boundary]) {
      if (!from) continue;
      const resumed = await runSaving(cfg, from, await storeAt(from, stats));
      const last = resumed.saved.at(-1)?.state ?? from;
      expect(
        comparable(resumed.result, last),
        `resumed from ${from.task}.${from.epoch}.${from.step}`,
      ).toEqual(expected);
    }
  });
});
