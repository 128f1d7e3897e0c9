import { Inject, Injectable } from '@nestjs/common';
import {
  artifactExists,
  classIdOf,
  classStatsPrefix,
  getClassStatistics,
  isArtifactError,
  listClassStatistics,
  putClassStatistics,
  readArtifactManifest,
  runRecordKey,
  samplesKey,
  sha256Hex,
  STATS_FILE,
  type ArtifactManifest,
  type ObjectStore,
} from '@slca/artifacts';
import type { ClassStatisticsRef, ObjectRef, SampleFeaturesResponse } from '@slca/contracts';
import { Mt19937 } from '@slca/data';
import { decodeClassStatistics, sampleClass } from '@slca/engine';
import { alreadyExists, dataLoss, failedPrecondition, invalidArgument, notFound } from '@slca/service-kit';
import { OBJECT_STORE } from '../object-store';

export interface StatisticsMeta {
  classLabel: number;
  task: number;
  count: number;
  dim: number;
  [key: string]: unknown;
}

export interface PutStatistics {
  runId: string;
  classLabel: number;
  task: number;
  count: number;
  dim: number;
  upload: ObjectRef;
}

/**
 * The engine's decoder copies with `bytes.slice().buffer`, which for a Node Buffer (whose `slice` is a view
 * into a shared pool) is the whole pool; a plain Uint8Array copy makes `slice` copy exactly these bytes.
 */
function plainBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/** Samples above this many bytes would not fit one PUT comfortably nor any caller's memory. */
export const MAX_SAMPLE_BYTES = 1024 * 1024 * 1024;

function refOf(runId: string, manifest: ArtifactManifest<StatisticsMeta>): ClassStatisticsRef {
  const file = manifest.files.find((f) => f.name === STATS_FILE);
  if (!file) throw dataLoss(`statistics of run ${runId} list no ${STATS_FILE}`);
  const { classLabel, task, count, dim } = manifest.meta;
  return {
    runId,
    classLabel,
    task,
    count,
    dim,
    object: { key: file.key, size: file.size, sha256: file.sha256 },
  };
}

/** Commits, serves and samples a run's class statistics; the engine decodes and samples. */
@Injectable()
export class StatisticsStoreService {
  constructor(@Inject(OBJECT_STORE) private readonly store: ObjectStore) {}

  /**
   * Verifies the upload (present, size and digest, then a well-formed positive definite Gaussian) before
   * committing it; the upload is removed only once the statistics are committed.
   */
  async put(request: PutStatistics): Promise<ClassStatisticsRef> {
    const { runId, classLabel, task, count, dim, upload } = request;
    // Statistics belong to a run the trainer has started (its record is written before it trains). Not
    // NOT_FOUND: the call asks for nothing that is missing; it is the system's state that does not allow it.
    if (!(await this.store.exists(runRecordKey(runId))))
      throw failedPrecondition(`run ${runId} does not exist: statistics are kept only for a started run`);
    const prefix = classStatsPrefix(runId, classLabel);
    if (await artifactExists(this.store, prefix)) {
      const committed = await readArtifactManifest<StatisticsMeta>(this.store, prefix);
      const ref = refOf(runId, committed);
      if (ref.object?.sha256 !== upload.sha256)
        throw alreadyExists(
          `run ${runId} already has statistics for class ${classLabel} (sha256 ${ref.object?.sha256}), ` +
            `not ${upload.sha256}; statistics are written once`,
        );
      await this.store.remove(upload.key);
      return ref;
    }
    let bytes: Buffer;
    try {
      bytes = await this.store.get(upload.key);
    } catch (error) {
      if (isArtifactError(error) && error.code === 'not_found')
        throw notFound(`no upload at ${upload.key}: upload the statistics there first`);
      throw error;
    }
    const actual = sha256Hex(bytes);
    if (bytes.length !== upload.size || actual !== upload.sha256)
      throw dataLoss(
        `${upload.key}: expected sha256 ${upload.sha256} (${upload.size} bytes), ` +
          `stored sha256 ${actual} (${bytes.length} bytes)`,
      );
    try {
      decodeClassStatistics(plainBytes(bytes), { classId: classLabel, task, count, dim });
    } catch (error) {
      // The engine's message names the class and what is wrong with it.
      throw invalidArgument('upload', (error as Error).message);
    }
    const manifest = await putClassStatistics(this.store, runId, classLabel, bytes, {
      classLabel,
      task,
      count,
      dim,
    });
    await this.store.remove(upload.key);
    return refOf(runId, manifest as ArtifactManifest<StatisticsMeta>);
  }

  /** The committed statistics of a class, read back and checked against their digest. */
  async get(runId: string, classLabel: number): Promise<ClassStatisticsRef> {
    const { manifest } = await getClassStatistics(this.store, runId, classLabel);
    return refOf(runId, manifest as ArtifactManifest<StatisticsMeta>);
  }

  async list(runId: string): Promise<ClassStatisticsRef[]> {
    // Only a class's own folder counts, not an artifact nested deeper under it.
    const isClassFolder = (prefix: string) => {
      const label = classIdOf(runId, prefix);
      return label !== undefined && prefix === classStatsPrefix(runId, label);
    };
    const prefixes = (await listClassStatistics(this.store, runId)).filter(isClassFolder);
    const refs = await Promise.all(
      prefixes.map(async (prefix) =>
        refOf(runId, await readArtifactManifest<StatisticsMeta>(this.store, prefix)),
      ),
    );
    return refs.sort((a, b) => a.classLabel - b.classLabel);
  }

  /**
   * Draws `perClass` samples of each class in the order given from one Mt19937 seeded with `seed` (the
   * engine's `sampleClass`, scale 1), float32 class-major, stored under the run by content. One class is
   * decoded at a time, so memory holds one covariance rather than all of them.
   */
  async sample(
    runId: string,
    labels: readonly number[],
    perClass: number,
    seed: number,
  ): Promise<SampleFeaturesResponse> {
    const rng = new Mt19937(seed);
    let out = new Float32Array(0);
    let dim = 0;
    for (const [i, label] of labels.entries()) {
      const { bytes, manifest } = await getClassStatistics(this.store, runId, label);
      const meta = manifest.meta;
      if (i === 0) {
        dim = meta.dim;
        const total = labels.length * perClass * dim * Float32Array.BYTES_PER_ELEMENT;
        if (total > MAX_SAMPLE_BYTES)
          throw invalidArgument(
            'samples_per_class',
            `${labels.length} classes × ${perClass} samples × ${dim} dims take ${total} bytes, above ${MAX_SAMPLE_BYTES}`,
          );
        out = new Float32Array(labels.length * perClass * dim);
      } else if (meta.dim !== dim) {
        throw failedPrecondition(
          `class ${label} has statistics of dim ${meta.dim}, class ${labels[0]} of dim ${dim}`,
        );
      }
      let stats;
      try {
        stats = decodeClassStatistics(plainBytes(bytes), {
          classId: label,
          task: meta.task,
          count: meta.count,
          dim,
        });
      } catch (error) {
        throw dataLoss(`stored statistics of run ${runId}: ${(error as Error).message}`);
      }
      const drawn = sampleClass(stats, perClass, 1, rng);
      try {
        out.set(drawn.dataSync() as Float32Array, i * perClass * dim);
      } finally {
        drawn.dispose();
      }
    }
    // Float32Array bytes are little-endian on every platform Node runs the services on (x86-64, arm64).
    const bytes = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    const sha256 = sha256Hex(bytes);
    const key = samplesKey(runId, sha256);
    if (!(await this.store.exists(key)))
      await this.store.put(key, bytes, { contentType: 'application/octet-stream' });
    return {
      samples: { key, size: bytes.length, sha256 },
      dim,
      classLabels: [...labels],
      samplesPerClass: perClass,
    };
  }
}
