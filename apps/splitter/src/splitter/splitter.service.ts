import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import {
  datasetPrefix,
  getDataset,
  getSplit,
  listDatasets,
  putDataset,
  putSplit,
  splitPrefix,
  type ObjectStore,
  type StoredDataset,
} from '@slca/artifacts';
import type { Dataset, Split } from '@slca/contracts';
import {
  buildSplit,
  DatasetImportError,
  importDataset,
  loadSplitEmojiManifest,
  ManifestError,
  manifestDigest,
  readFolderDataset,
  resolveDatasetFile,
  type DatasetManifest,
  type DatasetSplit,
  type ImportedDataset,
  type ImportFormat,
} from '@slca/data';
import { invalidArgument } from '@slca/service-kit';
import { OBJECT_STORE } from '../object-store';
import { artifactRef } from './artifact-ref';

export const EMBEDDED_DATASET_NAME = 'split-emoji';

/**
 * The side length the engine decodes the embedded benchmark at (`EMBEDDED_ARCH.imageSize` in
 * @slca/engine; the test checks they agree). Its manifest records the images' native 64 px, and the
 * manifest stays as shipped so its digest is the benchmark's own; `Dataset.image_size` reports the size
 * the images are used at, which for a folder dataset is the size it was imported for, and 0 for a
 * benchmark whose manifest fixes none (its JPEGs keep their source sizes).
 */
export const EMBEDDED_IMAGE_SIZE = 32;

let embeddedDigest: string | undefined;

/** Whether a stored manifest is the embedded benchmark, under whatever name it was registered. */
function isEmbedded(manifest: DatasetManifest): boolean {
  embeddedDigest ??= manifestDigest(loadSplitEmojiManifest());
  const asShipped = { ...manifest, name: loadSplitEmojiManifest().name };
  return manifestDigest(asShipped) === embeddedDigest;
}

export function imageSizeOf(manifest: DatasetManifest): number {
  return isEmbedded(manifest) ? EMBEDDED_IMAGE_SIZE : (manifest.imageSize ?? 0);
}

/** Imports, lookups and splits: the libraries do the work, this keeps the store and the wire form. */
@Injectable()
export class SplitterService {
  /** Imports under way by dataset name: a retried call joins the running one instead of racing it. */
  private readonly imports = new Map<string, Promise<{ stored: StoredDataset; warnings?: string[] }>>();

  constructor(@Inject(OBJECT_STORE) private readonly store: ObjectStore) {}

  async importEmbedded(name: string): Promise<Dataset> {
    const { dataset } = await this.importOnce(name, async () => {
      const shipped = loadSplitEmojiManifest({ verifyDigests: true });
      const manifest = name === shipped.name ? shipped : { ...shipped, name };
      return { stored: await putDataset(this.store, manifest, (file) => readFile(resolveDatasetFile(file))) };
    });
    return dataset;
  }

  /** Every image is decoded before anything is stored, so a bad folder leaves the store untouched. */
  async importFolder(name: string, path: string, imageSize: number): Promise<Dataset> {
    const { dataset } = await this.importOnce(name, async () => {
      let manifest: DatasetManifest;
      try {
        manifest = await readFolderDataset(path, name, { imageSize });
      } catch (error) {
        throw invalidArgument('path', `refused: ${(error as Error).message}`);
      }
      return { stored: await putDataset(this.store, manifest, (file) => readFile(join(path, file))) };
    });
    return dataset;
  }

  /**
   * The importer checks every record or image before anything is stored. CIFAR-100's records become PNGs in
   * a temporary folder, removed once the dataset is stored or refused; the other formats' manifests point
   * into `path`.
   */
  async importBenchmark(
    name: string,
    format: ImportFormat,
    path: string,
  ): Promise<{ dataset: Dataset; warnings: string[] }> {
    return this.importOnce(name, async () => {
      const outDir = await mkdtemp(join(tmpdir(), 'slca-import-'));
      try {
        let imported: ImportedDataset;
        try {
          imported = await importDataset(format, path, { name, outDir });
        } catch (error) {
          if (error instanceof DatasetImportError || error instanceof ManifestError)
            throw invalidArgument('path', `refused: ${error.message}`);
          throw error;
        }
        const { manifest, root } = imported;
        const stored = await putDataset(this.store, manifest, (file) => readFile(join(root, file)));
        return { stored, warnings: imported.warnings };
      } finally {
        await rm(outDir, { recursive: true, force: true });
      }
    });
  }

  async getDataset(name: string): Promise<Dataset> {
    return this.datasetMessage(await getDataset(this.store, name));
  }

  async listDatasets(): Promise<Dataset[]> {
    const names = await listDatasets(this.store);
    return Promise.all(names.map((name) => this.getDataset(name)));
  }

  /** The manifest the split would be cut from; NOT_FOUND when the dataset is not registered. */
  async datasetManifest(name: string): Promise<DatasetManifest> {
    return (await getDataset(this.store, name)).manifest;
  }

  async createSplit(
    manifest: DatasetManifest,
    seed: number,
    initClasses: number,
    increment: number,
  ): Promise<Split> {
    const split = buildSplit(manifest, seed, initClasses, increment);
    await putSplit(this.store, split);
    return this.getSplit(split.id);
  }

  async getSplit(id: string): Promise<Split> {
    const { split, artifact } = await getSplit(this.store, id);
    return {
      id: split.id,
      dataset: split.dataset,
      seed: split.seed,
      classOrder: split.classOrder,
      tasks: split.tasks.map((task: DatasetSplit['tasks'][number]) => ({
        index: task.index,
        classes: task.classes,
        trainCount: task.train.length,
        testCount: task.test.length,
      })),
      artifact: await artifactRef(this.store, splitPrefix(id), artifact),
    };
  }

  /**
   * Runs one import per name at a time: a second request for a name being imported waits for the first
   * and gets its dataset and warnings.
   */
  private async importOnce(
    name: string,
    work: () => Promise<{ stored: StoredDataset; warnings?: string[] }>,
  ): Promise<{ dataset: Dataset; warnings: string[] }> {
    let running = this.imports.get(name);
    if (!running) {
      running = work().finally(() => this.imports.delete(name));
      this.imports.set(name, running);
    }
    const { stored, warnings = [] } = await running;
    return { dataset: await this.datasetMessage(stored), warnings };
  }

  private async datasetMessage(stored: StoredDataset): Promise<Dataset> {
    const { manifest } = stored;
    const perClass = (items: DatasetManifest['train']) => {
      const counts = new Map<number, number>();
      for (const item of items) counts.set(item.label, (counts.get(item.label) ?? 0) + 1);
      return counts;
    };
    const train = perClass(manifest.train);
    const test = perClass(manifest.test);
    return {
      name: manifest.name,
      imageSize: imageSizeOf(manifest),
      classes: manifest.classes.map((c) => ({
        id: c.id,
        name: c.name,
        trainCount: train.get(c.id) ?? 0,
        testCount: test.get(c.id) ?? 0,
      })),
      trainCount: manifest.train.length,
      testCount: manifest.test.length,
      manifestDigest: stored.digest,
      artifact: await artifactRef(this.store, datasetPrefix(manifest.name), stored.artifact),
    };
  }
}
