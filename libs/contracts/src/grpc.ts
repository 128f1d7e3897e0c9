/*
 * The client side of the contracts: one generated definition per service (method names, streaming,
 * idempotency level, message encoders), from which `@slca/service-kit/client` builds typed clients. This
 * entry imports nothing from NestJS, so the dashboard can bundle it.
 */
import { EvaluatorServiceDefinition } from './generated/client/slca/v1/evaluator';
import { SplitterServiceDefinition } from './generated/client/slca/v1/splitter';
import { StatisticsServiceDefinition } from './generated/client/slca/v1/statistics';
import { TrainerServiceDefinition } from './generated/client/slca/v1/trainer';

export {
  EvaluatorServiceDefinition,
  SplitterServiceDefinition,
  StatisticsServiceDefinition,
  TrainerServiceDefinition,
};

/** Every service of the platform, by the short name the deployment uses. */
export const SERVICE_DEFINITIONS = {
  splitter: SplitterServiceDefinition,
  trainer: TrainerServiceDefinition,
  statistics: StatisticsServiceDefinition,
  evaluator: EvaluatorServiceDefinition,
} as const;
