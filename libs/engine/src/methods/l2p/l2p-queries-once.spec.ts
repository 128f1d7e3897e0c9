import { describe, expect, it, vi } from 'vitest';
import { TINY_ARCH, tinyConfig, tinyDataset } from '../../../test/tiny-experiment';
import { runExperiment } from '../../slca/experiment';
import { streamRng } from '../../slca/streams';
import { randomBackbone } from '../../weights/vit-weights';

/** Images the run's device computed features of (queries, statistics, evaluation), by model kind. */
const featured = { plain: 0, prompted: 0 };

vi.mock('@slca/compute', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@slca/compute')>();
  return {
    ...actual,
    openComputeDevice: async (...args: Parameters<typeof actual.openComputeDevice>) => {
      const opened = await actual.openComputeDevice(...args);
      const { device } = opened;
      let prompted = false;
      const setModel = device.setModel.bind(device);
      const features = device.features.bind(device);
      device.setModel = async (spec, values) => {
        prompted = spec.prompt !== undefined;
        return setModel(spec, values);
      };
      device.features = async (chunks) => {
        for (const c of chunks) featured[prompted ? 'prompted' : 'plain'] += c.count;
        return features(chunks);
      };
      return opened;
    },
  };
});

async function count(epochs: number) {
  featured.plain = 0;
  featured.prompted = 0;
  const base = tinyConfig('l2p');
  const o = base.l2p;
  if (!o) throw new Error('no l2p settings');
  const cfg = {
    ...base,
    stage1: { ...base.stage1, epochs, milestones: [] },
    l2p: { ...o, queries: 'once-per-task' as const },
  };
  await runExperiment(cfg, tinyDataset(), randomBackbone(TINY_ARCH, streamRng(1, 'test-init')));
  return { ...featured };
}

describe('L2P queries, once per task', () => {
  it('are computed once per task from the frozen model, however many epochs stage 1 runs', async () => {
    const one = await count(1);
    const three = await count(3);
    // 6 classes × 6 training images, each queried once (3 tasks); evaluation: 2, 4, 6 classes × 4 test images.
    expect(one).toEqual({ plain: 36, prompted: (2 + 4 + 6) * 4 });
    expect(three).toEqual(one);
  });
});
