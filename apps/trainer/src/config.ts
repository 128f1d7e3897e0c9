import { env } from '@slca/service-kit';

/** The trainer's environment, validated once at boot (the object store's own variables are read by @slca/artifacts). */
export const TRAINER_CONFIG = {
  SLCA_BIND_HOST: env.string().default('127.0.0.1').describe('address the gRPC server binds'),
  SLCA_TRAINER_PORT: env.port().default(50052).describe('gRPC port (0 picks a free one)'),
  SLCA_SPLITTER_ADDRESS: env.string().default('127.0.0.1:50051').describe('host:port of the splitter'),
  SLCA_STATS_STORE_ADDRESS: env
    .string()
    .default('127.0.0.1:50053')
    .describe('host:port of the statistics store'),
  SLCA_EVALUATOR_ADDRESS: env.string().default('127.0.0.1:50054').describe('host:port of the evaluator'),
  SLCA_TRAINER_WORKERS: env
    .integer({ min: 0, max: 64 })
    .default(2)
    .describe('compute worker threads per run (wasm)'),
  SLCA_TRAINER_CONCURRENCY: env.integer({ min: 1, max: 16 }).default(1).describe('runs trained at once'),
  SLCA_CHECKPOINT_EVERY: env
    .integer({ min: 1, max: 1_000_000 })
    .default(50)
    .describe('steps between mid-task checkpoints'),
  SLCA_PEER_DEADLINE: env
    .durationMs({ min: 100 })
    .default(30_000)
    .describe('deadline of calls to other services'),
  SLCA_IMPORT_DEADLINE: env
    .durationMs({ min: 1_000 })
    .default(600_000)
    .describe('deadline of a dataset import'),
  SLCA_LOG_LEVEL: env.oneOf(['debug', 'info', 'warn', 'error'] as const).default('info'),
};
