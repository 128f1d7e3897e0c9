import { describe, expect, it } from 'vitest';
import { TINY_ARCH, tinyConfig, tinyDataset } from '../../test/tiny-experiment';
import { randomBackbone } from '../weights/vit-weights';
import { decodeExperimentState, encodeExperimentState } from './checkpoint';
import {
  ExperimentStopped,
  runExperiment,
  streamRng,
  type CheckpointReason,
  type ExperimentResult,
  type ExperimentState,
} from './experiment';
import { MemoryStatistics, type StatisticsSink } from './statistics-sink';
import type { ClassStatistics } from './statistics';

const backbone = () => randomBackbone(TINY_ARCH, streamRng(1, 'test-init'));

/** A sink that remembers every class it was given, so a resumed run can start with a store like the real one. */
class RecordingStatistics extends MemoryStatistics implements StatisticsSink {
  readonly puts: ClassStatistics[] = [];
  override async put(stats: ClassStatistics): Promise<void> {
    this.puts.push(stats);
    await super.put(stats);
  }
}

/** What the statistics store holds when a checkpoint at `state` is the latest: every class of earlier tasks. */
async function storeAt(state: ExperimentState, all: RecordingStatistics): Promise<MemoryStatistics> {
  const store = new MemoryStatistics();
  for (const s of all.puts) if (s.task < state.task) await store.put(s);
  return store;
}

const comparable = (r: ExperimentResult) => ({
  matrix: r.accuracyMatrix,
  accuracies: r.accuracies,
  epochLosses: r.tasks.map((t) => t.epochLosses),
  alignLosses: r.tasks.map((t) => t.alignLosses),
});

describe('resuming a run from a checkpoint', () => {
  it('gives bit-identical results from every checkpoint: mid-epoch, epoch boundary and task boundary', async () => {
    const data = tinyDataset();
    const cfg = tinyConfig('slca');
    const saved: { bytes: Uint8Array; reason: CheckpointReason }[] = [];
    const stats = new RecordingStatistics();
    const full = await runExperiment(cfg, data, backbone(), {
      statistics: stats,
      checkpoint: {
        every: 2,
        save: async (s, reason) => void saved.push({ bytes: encodeExperimentState(s), reason }),
      },
    });
    // 12 training images per task, batch 4 → 3 steps per epoch, 2 epochs: checkpoints after steps 2 and 4
    // (one lands on an epoch boundary), and one per task.
    expect(saved.filter((s) => s.reason === 'task')).toHaveLength(3);
    const states = saved.map((s) => decodeExperimentState(s.bytes));
    const positions = states.map((s) => `${s.task}.${s.epoch}.${s.step}${s.training ? '' : '/end'}`);
    expect(positions).toEqual([
      '0.0.2',
      '0.1.1',
      '1.0.0/end',
      '1.0.2',
      '1.1.1',
      '2.0.0/end',
      '2.0.2',
      '2.1.1',
      '3.0.0/end',
    ]);

    // Resume from a mid-task checkpoint of the second task (after alignment started happening) and from
    // the boundary before the third.
    for (const index of [3, 4, 5, 7]) {
      const state = states[index];
      const resumed = await runExperiment(cfg, data, backbone(), {
        resumeFrom: state,
        statistics: await storeAt(state, stats),
      });
      expect(comparable(resumed)).toEqual(comparable(full));
    }
  });

  it('stops on request at a step boundary with a checkpoint, and resuming it finishes identically', async () => {
    const data = tinyDataset();
    const cfg = tinyConfig('slca', 1996);
    const full = await runExperiment(cfg, data, backbone());

    const stop = new AbortController();
    const stats = new RecordingStatistics();
    let steps = 0;
    const saved: ExperimentState[] = [];
    const run = runExperiment(cfg, data, backbone(), {
      statistics: stats,
      signal: stop.signal,
      checkpoint: { every: 1000, save: async (s) => void saved.push(s) },
      onProgress: (e) => {
        if (e.phase === 'train' && ++steps === 8) stop.abort();
      },
    });
    const stopped = await run.then(
      () => null,
      (e: unknown) => e,
    );
    expect(stopped).toBeInstanceOf(ExperimentStopped);
    const state = (stopped as ExperimentStopped).state;
    expect(saved.at(-1)).toBe(state);
    expect([state.task, state.epoch, state.step]).toEqual([1, 0, 2]);

    const resumed = await runExperiment(cfg, data, backbone(), {
      resumeFrom: decodeExperimentState(encodeExperimentState(state)),
      statistics: await storeAt(state, stats),
    });
    expect(comparable(resumed)).toEqual(comparable(full));
  });

  it('refuses to resume under another configuration, naming the field; a worker count change is fine', async () => {
    const data = tinyDataset();
    let state: ExperimentState | undefined;
    await runExperiment(tinyConfig('sl'), data, backbone(), {
      checkpoint: { every: 1000, save: async (s) => void (state ??= s) },
    });
    const other = tinyConfig('sl');
    other.stage1.lr = 0.5;
    await expect(runExperiment(other, data, backbone(), { resumeFrom: state })).rejects.toThrow(
      'cannot resume: the checkpoint was taken with a different stage1.lr',
    );
    const moreWorkers = await runExperiment(tinyConfig('sl', 1993, 2), data, backbone(), {
      resumeFrom: state,
    });
    expect(moreWorkers.accuracies).toHaveLength(3);
  });

  it('a resumed run without the earlier classes in its statistics store fails naming the class', async () => {
    const data = tinyDataset();
    const states: ExperimentState[] = [];
    await runExperiment(tinyConfig('slca'), data, backbone(), {
      checkpoint: { every: 1000, save: async (s) => void states.push(s) },
    });
    await expect(
      runExperiment(tinyConfig('slca'), data, backbone(), {
        resumeFrom: states[0],
        statistics: new MemoryStatistics(),
      }),
    ).rejects.toThrow(/no statistics stored for class 0/);
  });
});
