import { status } from '@grpc/grpc-js';
import {
  classStatsFileKey,
  putRunRecord,
  samplesKey,
  sha256Hex,
  statsPrefix,
  uploadKey,
} from '@slca/artifacts';
import { type ClassStatisticsRef, type PutClassStatisticsRequest } from '@slca/contracts';
import { Mt19937 } from '@slca/data';
import { classStatistics, decodeClassStatistics, encodeClassStatistics, sampleClass } from '@slca/engine';
import { initBackend } from '@slca/compute';
import { checkHealth, INVALID_FIELD_METADATA_KEY } from '@slca/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  failure,
  present,
  startServiceUnderTest,
  startObjectStore as startStack,
  type ObjectStoreFixture as Stack,
  type ServiceUnderTest,
} from '@slca/stack';

const RUN = 'run-stats';
const DIM = 4;

let stack: Stack;
let service: ServiceUnderTest<'stats-store'>;
let client: ServiceUnderTest<'stats-store'>['client'];

beforeAll(async () => {
  stack = await startStack();
  service = await startServiceUnderTest('stats-store', stack, 30_000);
  client = service.client;
  // The trainer writes a run's record before the run trains; statistics are kept only for such a run.
  await putRunRecord(stack.store, RUN, { id: RUN });
  // The same backend the service picked, so samples drawn here compare bit for bit.
  await initBackend('auto');
}, 60_000);

afterAll(async () => {
  const code = await service?.stop();
  await stack?.close();
  expect(code).toBe(0);
});

/** Statistics of `label` from 12 seeded random feature rows, as the engine computes and encodes them. */
function statsBytes(label: number, seed = label): Uint8Array {
  const rng = new Mt19937(seed);
  const rows = 12;
  const features = Float32Array.from({ length: rows * DIM }, () => rng.standardNormal() + label);
  const stats = classStatistics(features, DIM, [...Array(rows).keys()], label, 0);
  return encodeClassStatistics(stats);
}

/** Uploads bytes where the contract wants them and returns the PutClassStatistics request for them. */
async function upload(label: number, bytes: Uint8Array, run = RUN): Promise<PutClassStatisticsRequest> {
  const sha256 = sha256Hex(bytes);
  const key = uploadKey(run, sha256);
  await stack.store.put(key, bytes);
  return {
    runId: run,
    classLabel: label,
    task: 0,
    count: 12,
    dim: DIM,
    upload: { key, size: bytes.length, sha256 },
  };
}

async function expectInvalid(promise: Promise<unknown>, field: string, message?: RegExp) {
  const error = await failure(promise);
  expect(error.code).toBe(status.INVALID_ARGUMENT);
  expect(error.metadata.get(INVALID_FIELD_METADATA_KEY)).toEqual([field]);
  if (message) expect(error.details).toMatch(message);
}

const committed = () => stack.store.list(statsPrefix(RUN));

describe('stats-store over gRPC, as its own process', () => {
  it('reports SERVING on grpc.health.v1 (its plain-text health port)', async () => {
    expect(await checkHealth(service.healthAddress)).toBe('SERVING');
    expect(await checkHealth(service.healthAddress, 'slca.v1.StatisticsService')).toBe('SERVING');
  });

  let first: ClassStatisticsRef;
  it('commits an upload after checking it, removes the upload, and accepts the same digest again', async () => {
    const bytes = statsBytes(3);
    const request = await upload(3, bytes);
    const { statistics } = await client.putClassStatistics(request);
    first = present(statistics);
    expect(first).toEqual({
      runId: RUN,
      classLabel: 3,
      task: 0,
      count: 12,
      dim: DIM,
      object: { key: classStatsFileKey(RUN, 3, 'stats.f64'), size: bytes.length, sha256: sha256Hex(bytes) },
    });
    expect(new Uint8Array(await stack.store.get(present(first.object).key))).toEqual(bytes);
    expect(await stack.store.exists(present(request.upload).key)).toBe(false);

    // A retry after success (upload already gone) and a fresh upload of the same bytes both pass.
    expect((await client.putClassStatistics(request)).statistics).toEqual(first);
    const again = await upload(3, bytes);
    expect((await client.putClassStatistics(again)).statistics).toEqual(first);
    expect(await stack.store.exists(present(again.upload).key)).toBe(false);

    expect((await client.getClassStatistics({ runId: RUN, classLabel: 3 })).statistics).toEqual(first);
    await client.putClassStatistics(await upload(1, statsBytes(1)));
    const listed = await client.listClassStatistics({ runId: RUN });
    expect(listed.statistics.map((s) => s.classLabel)).toEqual([1, 3]);
  });

  it('refuses different statistics for a committed class with ALREADY_EXISTS', async () => {
    const before = await committed();
    const error = await failure(client.putClassStatistics(await upload(3, statsBytes(3, 99))));
    expect(error.code).toBe(status.ALREADY_EXISTS);
    expect(await committed()).toEqual(before);
    expect(new Uint8Array(await stack.store.get(present(first.object).key))).toEqual(statsBytes(3));
  });

  it('refuses statistics for a run that does not exist with FAILED_PRECONDITION, storing nothing', async () => {
    const request = await upload(2, statsBytes(2), 'no-such-run');
    const error = await failure(client.putClassStatistics(request));
    expect(error.code).toBe(status.FAILED_PRECONDITION);
    expect(error.details).toBe('run no-such-run does not exist: statistics are kept only for a started run');
    expect(await stack.store.list(statsPrefix('no-such-run'))).toEqual([]);
  });

  it('answers INVALID_ARGUMENT naming the field for malformed requests, storing nothing', async () => {
    const before = await committed();
    const good = await upload(5, statsBytes(5));
    const put = (over: Partial<PutClassStatisticsRequest>) => client.putClassStatistics({ ...good, ...over });
    await expectInvalid(put({ runId: '' }), 'run_id');
    await expectInvalid(put({ runId: 'Run/1' }), 'run_id');
    await expectInvalid(put({ classLabel: -1 }), 'class_label');
    await expectInvalid(put({ task: -1 }), 'task');
    await expectInvalid(put({ count: 0 }), 'count');
    await expectInvalid(put({ dim: 0 }), 'dim');
    await expectInvalid(put({ dim: 5 }), 'upload.size', /dim 5 take 240 bytes/);
    await expectInvalid(put({ upload: undefined }), 'upload');
    await expectInvalid(put({ upload: { ...present(good.upload), sha256: 'abc' } }), 'upload.sha256');
    await expectInvalid(
      put({ upload: { ...present(good.upload), key: `runs/${RUN}/stats/elsewhere` } }),
      'upload.key',
      /uploads\//,
    );
    // Another run's upload key is not this run's.
    await expectInvalid(
      put({ upload: { ...present(good.upload), key: uploadKey('other-run', present(good.upload).sha256) } }),
      'upload.key',
    );
    expect(await committed()).toEqual(before);
  });

  it('refuses statistics that are not a Gaussian: asymmetric, not positive definite, non-finite', async () => {
    const before = await committed();
    const asymmetric = new Float64Array(statsBytes(6).slice().buffer);
    asymmetric[DIM + 1] += 0.5; // covariance[0][1] no longer equals covariance[1][0]
    await expectInvalid(
      client.putClassStatistics(await upload(6, new Uint8Array(asymmetric.buffer))),
      'upload',
      /class 6: covariance is not symmetric/,
    );
    const indefinite = new Float64Array(DIM + DIM * DIM);
    for (let i = 0; i < DIM; i++) indefinite[DIM + i * DIM + i] = i === 2 ? -1 : 1;
    await expectInvalid(
      client.putClassStatistics(await upload(7, new Uint8Array(indefinite.buffer))),
      'upload',
      /class 7/,
    );
    const nonFinite = new Float64Array(statsBytes(8).slice().buffer);
    nonFinite[0] = Number.NaN;
    await expectInvalid(
      client.putClassStatistics(await upload(8, new Uint8Array(nonFinite.buffer))),
      'upload',
      /class 8: non-finite/,
    );
    expect(await committed()).toEqual(before);
  });

  it('answers DATA_LOSS for a tampered upload and NOT_FOUND for a missing one, committing nothing', async () => {
    const before = await committed();
    const request = await upload(9, statsBytes(9));
    const tampered = Buffer.from(statsBytes(9));
    tampered[0] ^= 1;
    await stack.store.put(present(request.upload).key, tampered);
    const error = await failure(client.putClassStatistics(request));
    expect(error.code).toBe(status.DATA_LOSS);
    expect(error.details).toContain(present(request.upload).key);
    expect(error.details).toContain(present(request.upload).sha256);
    expect(error.details).toContain(sha256Hex(tampered));

    await stack.store.remove(present(request.upload).key);
    expect((await failure(client.putClassStatistics(request))).code).toBe(status.NOT_FOUND);
    expect((await failure(client.getClassStatistics({ runId: RUN, classLabel: 9 }))).code).toBe(
      status.NOT_FOUND,
    );
    expect(await committed()).toEqual(before);
  });

  it('samples classes in the order given exactly as the engine does in-process, stored by digest', async () => {
    const labels = [3, 1];
    const perClass = 5;
    const seed = 1993;
    const response = await client.sampleFeatures({
      runId: RUN,
      classLabels: labels,
      samplesPerClass: perClass,
      seed,
    });
    const rng = new Mt19937(seed);
    const expected = new Float32Array(labels.length * perClass * DIM);
    labels.forEach((label, i) => {
      const stats = decodeClassStatistics(statsBytes(label), {
        classId: label,
        task: 0,
        count: 12,
        dim: DIM,
      });
      const drawn = sampleClass(stats, perClass, 1, rng);
      expected.set(drawn.dataSync() as Float32Array, i * perClass * DIM);
      drawn.dispose();
    });
    const expectedBytes = Buffer.from(expected.buffer);
    expect(response).toEqual({
      samples: {
        key: samplesKey(RUN, sha256Hex(expectedBytes)),
        size: expectedBytes.length,
        sha256: sha256Hex(expectedBytes),
      },
      dim: DIM,
      classLabels: labels,
      samplesPerClass: perClass,
    });
    expect((await stack.store.get(present(response.samples).key)).equals(expectedBytes)).toBe(true);
    // The same draw again lands on the same object.
    expect(
      await client.sampleFeatures({ runId: RUN, classLabels: labels, samplesPerClass: perClass, seed }),
    ).toEqual(response);
  });

  it('refuses bad sample requests and answers DATA_LOSS when stored statistics were tampered with', async () => {
    const sample = (over: object) =>
      client.sampleFeatures({ runId: RUN, classLabels: [1, 3], samplesPerClass: 4, seed: 1, ...over });
    await expectInvalid(sample({ classLabels: [] }), 'class_labels');
    await expectInvalid(sample({ classLabels: [1, 1] }), 'class_labels', /twice/);
    await expectInvalid(sample({ samplesPerClass: 0 }), 'samples_per_class');
    await expectInvalid(sample({ runId: '' }), 'run_id');
    expect((await failure(sample({ classLabels: [1, 42] }))).code).toBe(status.NOT_FOUND);

    const key = classStatsFileKey(RUN, 1, 'stats.f64');
    const stored = await stack.store.get(key);
    stored[3] ^= 0xff;
    await stack.store.put(key, stored);
    const error = await failure(sample({}));
    expect(error.code).toBe(status.DATA_LOSS);
    expect(error.details).toContain(key);
    expect((await failure(client.getClassStatistics({ runId: RUN, classLabel: 1 }))).code).toBe(
      status.DATA_LOSS,
    );
  });
});
