import { getClassStatistics, sha256Hex, uploadKey, type ObjectStore } from '@slca/artifacts';
import {
  decodeClassStatistics,
  encodeClassStatistics,
  type ClassStatistics,
  type StatisticsSink,
} from '@slca/engine';
import type { OutageGate } from './outages';
import type { Peers } from './peers';

/**
 * Class statistics kept by the statistics store: the bytes go to the object store (staging key), the
 * store verifies and commits them; reading back checks the committed object's digest. The float64 values
 * round-trip exactly, so alignment samples what an in-process run samples.
 */
export class RemoteStatistics implements StatisticsSink {
  constructor(
    private readonly runId: string,
    private readonly store: ObjectStore,
    private readonly peers: Peers,
    /** Calls to the statistics store wait out its outages (the store given is expected to do the same). */
    private readonly gate?: OutageGate,
  ) {}

  private call<T>(fn: () => Promise<T>): Promise<T> {
    return this.gate ? this.gate.call('stats-store', fn) : fn();
  }

  async put(stats: ClassStatistics): Promise<void> {
    const bytes = encodeClassStatistics(stats);
    const sha256 = sha256Hex(bytes);
    const key = uploadKey(this.runId, sha256);
    await this.store.put(key, bytes);
    const request = {
      runId: this.runId,
      classLabel: stats.classId,
      task: stats.task,
      count: stats.count,
      dim: stats.dim,
      upload: { key, size: bytes.byteLength, sha256 },
    };
    await this.call(() => this.peers.putStatistics(request));
  }

  async get(labels: readonly number[]): Promise<ClassStatistics[]> {
    const out: ClassStatistics[] = [];
    for (const label of labels) {
      const { statistics } = await this.call(() =>
        this.peers.getStatistics({ runId: this.runId, classLabel: label }),
      );
      const { bytes } = await getClassStatistics(this.store, this.runId, label);
      if (!statistics || sha256Hex(bytes) !== statistics.object?.sha256)
        throw new Error(`statistics of class ${label} changed between the store's answer and the read`);
      out.push(
        decodeClassStatistics(bytes, {
          classId: label,
          task: statistics.task,
          count: statistics.count,
          dim: statistics.dim,
        }),
      );
    }
    return out;
  }
}
