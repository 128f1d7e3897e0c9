import {
  EvaluatorServiceDefinition,
  SplitterServiceDefinition,
  StatisticsServiceDefinition,
  TrainerServiceDefinition,
} from '@slca/contracts/grpc';
import { createServiceClient, type ServiceClient, type ServiceClientOptions } from './client';

/** The platform's clients, one per service, generated from the .proto files (see `createServiceClient`). */
export type TrainerClient = ServiceClient<typeof TrainerServiceDefinition>;
export type EvaluatorClient = ServiceClient<typeof EvaluatorServiceDefinition>;
export type SplitterClient = ServiceClient<typeof SplitterServiceDefinition>;
export type StatisticsClient = ServiceClient<typeof StatisticsServiceDefinition>;

export type SlcaClientOptions = Partial<ServiceClientOptions> & Pick<ServiceClientOptions, 'address'>;

/** Deadline of a unary call when the caller sets none. */
export const DEFAULT_CALL_DEADLINE_MS = 30_000;

const withDefaults = (options: SlcaClientOptions): ServiceClientOptions => ({
  deadlineMs: DEFAULT_CALL_DEADLINE_MS,
  ...options,
});

export const trainerClient = (options: SlcaClientOptions): TrainerClient =>
  createServiceClient(TrainerServiceDefinition, withDefaults(options));
export const evaluatorClient = (options: SlcaClientOptions): EvaluatorClient =>
  createServiceClient(EvaluatorServiceDefinition, withDefaults(options));
export const splitterClient = (options: SlcaClientOptions): SplitterClient =>
  createServiceClient(SplitterServiceDefinition, withDefaults(options));
export const statisticsClient = (options: SlcaClientOptions): StatisticsClient =>
  createServiceClient(StatisticsServiceDefinition, withDefaults(options));
