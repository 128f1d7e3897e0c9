import { Controller, Inject } from '@nestjs/common';
import { runPrefix, validateKey, validateSegment } from '@slca/artifacts';
import {
  EvaluatorServiceControllerMethods,
  type EvaluateCheckpointRequest,
  type EvaluateCheckpointResponse,
  type EvaluatorServiceController,
  type GetRunMetricsRequest,
  type GetRunMetricsResponse,
} from '@slca/contracts';
import { invalidArgument } from '@slca/service-kit';
import { EvaluationService } from './evaluation.service';

export const MAX_TASK = 9_999;

function runId(value: string): string {
  try {
    return validateSegment('run_id', value);
  } catch (error) {
    throw invalidArgument('run_id', (error as { reason?: string }).reason ?? (error as Error).message);
  }
}

/** Validates every field, then hands over to the service; nothing is stored for a refused request. */
@Controller()
@EvaluatorServiceControllerMethods()
export class EvaluationController implements EvaluatorServiceController {
  constructor(@Inject(EvaluationService) private readonly evaluation: EvaluationService) {}

  async evaluateCheckpoint(request: EvaluateCheckpointRequest): Promise<EvaluateCheckpointResponse> {
    const run = runId(request.runId);
    if (!Number.isInteger(request.task) || request.task < 0 || request.task > MAX_TASK)
      throw invalidArgument('task', `must be an integer in [0, ${MAX_TASK}], got ${request.task}`);
    if (request.checkpointPrefix === '') throw invalidArgument('checkpoint_prefix', 'is required');
    const prefix = request.checkpointPrefix.endsWith('/')
      ? request.checkpointPrefix
      : `${request.checkpointPrefix}/`;
    try {
      validateKey(prefix.slice(0, -1), 'checkpoint_prefix');
    } catch (error) {
      throw invalidArgument('checkpoint_prefix', (error as { reason?: string }).reason ?? String(error));
    }
    // A run is evaluated on its own models only.
    if (!prefix.startsWith(runPrefix(run)) || prefix === runPrefix(run))
      throw invalidArgument(
        'checkpoint_prefix',
        `must be an artifact under ${runPrefix(run)}, got ${request.checkpointPrefix}`,
      );
    return this.evaluation.evaluate(run, request.task, prefix);
  }

  async getRunMetrics(request: GetRunMetricsRequest): Promise<GetRunMetricsResponse> {
    return { metrics: await this.evaluation.metrics(runId(request.runId)) };
  }
}
