import { Controller, Inject } from '@nestjs/common';
import { uploadKey, validateSegment } from '@slca/artifacts';
import {
  StatisticsServiceControllerMethods,
  type GetClassStatisticsRequest,
  type GetClassStatisticsResponse,
  type ListClassStatisticsRequest,
  type ListClassStatisticsResponse,
  type PutClassStatisticsRequest,
  type PutClassStatisticsResponse,
  type SampleFeaturesRequest,
  type SampleFeaturesResponse,
  type StatisticsServiceController,
} from '@slca/contracts';
import { invalidArgument } from '@slca/service-kit';
import { StatisticsStoreService } from './statistics.service';

/** Largest feature dimension accepted: its covariance alone is 128 MiB of float64. */
export const MAX_DIM = 4096;
export const MAX_CLASS_LABEL = 99_999;
export const MAX_TASK = 9_999;
export const MAX_SAMPLES_PER_CLASS = 65_536;

function runId(value: string): string {
  try {
    return validateSegment('run_id', value);
  } catch (error) {
    throw invalidArgument('run_id', (error as { reason?: string }).reason ?? (error as Error).message);
  }
}

function integer(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw invalidArgument(field, `must be an integer in [${min}, ${max}], got ${value}`);
  return value;
}

/** Validates every field, then hands over to the service; nothing is stored for a refused request. */
@Controller()
@StatisticsServiceControllerMethods()
export class StatisticsController implements StatisticsServiceController {
  constructor(@Inject(StatisticsStoreService) private readonly statistics: StatisticsStoreService) {}

  async putClassStatistics(request: PutClassStatisticsRequest): Promise<PutClassStatisticsResponse> {
    const run = runId(request.runId);
    const classLabel = integer('class_label', request.classLabel, 0, MAX_CLASS_LABEL);
    const task = integer('task', request.task, 0, MAX_TASK);
    const count = integer('count', request.count, 1, Number.MAX_SAFE_INTEGER);
    const dim = integer('dim', request.dim, 1, MAX_DIM);
    const upload = request.upload;
    if (!upload) throw invalidArgument('upload', 'is required: the ObjectRef of the uploaded statistics');
    if (!/^[0-9a-f]{64}$/.test(upload.sha256))
      throw invalidArgument('upload.sha256', `expected 64 lower-case hex digits, got "${upload.sha256}"`);
    const expectedKey = uploadKey(run, upload.sha256);
    if (upload.key !== expectedKey)
      throw invalidArgument('upload.key', `must be ${expectedKey} (the run's upload key for that digest)`);
    const size = (dim + dim * dim) * Float64Array.BYTES_PER_ELEMENT;
    if (upload.size !== size)
      throw invalidArgument('upload.size', `statistics of dim ${dim} take ${size} bytes, got ${upload.size}`);
    const statistics = await this.statistics.put({ runId: run, classLabel, task, count, dim, upload });
    return { statistics };
  }

  async getClassStatistics(request: GetClassStatisticsRequest): Promise<GetClassStatisticsResponse> {
    const run = runId(request.runId);
    const classLabel = integer('class_label', request.classLabel, 0, MAX_CLASS_LABEL);
    return { statistics: await this.statistics.get(run, classLabel) };
  }

  async listClassStatistics(request: ListClassStatisticsRequest): Promise<ListClassStatisticsResponse> {
    return { statistics: await this.statistics.list(runId(request.runId)) };
  }

  async sampleFeatures(request: SampleFeaturesRequest): Promise<SampleFeaturesResponse> {
    const run = runId(request.runId);
    if (request.classLabels.length === 0)
      throw invalidArgument('class_labels', 'must list at least one class');
    const seen = new Set<number>();
    for (const label of request.classLabels) {
      integer('class_labels', label, 0, MAX_CLASS_LABEL);
      if (seen.has(label)) throw invalidArgument('class_labels', `class ${label} is listed twice`);
      seen.add(label);
    }
    const perClass = integer('samples_per_class', request.samplesPerClass, 1, MAX_SAMPLES_PER_CLASS);
    return this.statistics.sample(run, request.classLabels, perClass, request.seed);
  }
}
