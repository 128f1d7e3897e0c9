import type { StoredDataset } from '@slca/artifacts';
import { loadManifestData, type ImageSet } from '@slca/engine';

/** Object-store reads a dataset decode keeps in flight at once (the engine asks for every file together). */
const READS_IN_FLIGHT = 16;

function limited<T>(limit: number, work: (file: string) => Promise<T>): (file: string) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (file) => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await work(file);
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

/**
 * Decoded test images per (dataset digest, size), kept for the life of the process: a dataset is
 * immutable, and every task of every run on it evaluates on the same images. A failed decode is not kept.
 */
export class TestSetCache {
  private readonly sets = new Map<string, Promise<ImageSet>>();

  get(dataset: StoredDataset, imageSize: number): Promise<ImageSet> {
    const key = `${dataset.digest}@${imageSize}`;
    let set = this.sets.get(key);
    if (!set) {
      set = this.load(dataset, imageSize);
      this.sets.set(key, set);
      set.catch(() => this.sets.delete(key));
    }
    return set;
  }

  private async load(dataset: StoredDataset, imageSize: number): Promise<ImageSet> {
    // Only the test images: the manifest's training list is emptied so nothing else is fetched or decoded.
    const testOnly = { ...dataset.manifest, train: [] };
    const data = await loadManifestData(testOnly, imageSize, {
      read: limited(READS_IN_FLIGHT, dataset.read),
    });
    return data.test;
  }
}
