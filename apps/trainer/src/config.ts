import { env } from '@slca/service-kit';

/** Settings of the Kubernetes executor; read only when SLCA_EXECUTOR=kubernetes. */
export const KUBERNETES_EXECUTOR_CONFIG = {
  SLCA_JOB_NAMESPACE: env
    .string()
    .default('')
    .describe("namespace of the run Jobs (empty: the trainer pod's own namespace)"),
  SLCA_JOB_IMAGE: env.string().default('').describe('image of the run Jobs (the trainer image; required)'),
  SLCA_JOB_IMAGE_PULL_POLICY: env.oneOf(['IfNotPresent', 'Always', 'Never'] as const).default('IfNotPresent'),
  SLCA_JOB_SERVICE_ACCOUNT: env
    .string()
    .default('slca-run')
    .describe('service account of run pods (needs no API rights)'),
  SLCA_JOB_S3_SECRET: env
    .string()
    .default('slca-s3-trainer')
    .describe('Secret holding SLCA_S3_ACCESS_KEY and SLCA_S3_SECRET_KEY for run pods'),
  SLCA_JOB_TLS_SECRET: env
    .string()
    .default('slca-tls-job')
    .describe("Secret (ca.crt, tls.crt, tls.key) with the run pods' certificate, identity job"),
  SLCA_JOB_CPU: env.string().default('2').describe('CPU request and limit of a run pod'),
  SLCA_JOB_MEMORY: env.string().default('4Gi').describe('memory request and limit of a run pod'),
  SLCA_JOB_GPUS: env.integer({ min: 0, max: 8 }).default(0).describe('nvidia.com/gpu per run pod'),
  SLCA_JOB_NODE_SELECTOR: env.string().default('{}').describe('JSON object: nodeSelector of run pods'),
  SLCA_JOB_TOLERATIONS: env.string().default('[]').describe('JSON array: tolerations of run pods'),
  SLCA_JOB_BACKOFF_LIMIT: env
    .integer({ min: 0, max: 20 })
    .default(3)
    .describe('pod failures (other than disruptions) a run Job survives'),
  SLCA_JOB_TTL: env
    .durationMs({ min: 0 })
    .default(86_400_000)
    .describe('how long a finished run Job is kept'),
  SLCA_JOB_POLL: env
    .durationMs({ min: 50 })
    .default(2_000)
    .describe('how often the trainer looks at a run Job and its progress'),
};

/** The trainer's environment, validated once at boot (the object store's own variables are read by @slca/artifacts). */
export const TRAINER_CONFIG = {
  SLCA_BIND_HOST: env.string().default('127.0.0.1').describe('address the gRPC server binds'),
  SLCA_TRAINER_PORT: env.port().default(50052).describe('gRPC port (0 picks a free one)'),
  SLCA_HEALTH_PORT: env
    .port()
    .optional()
    .describe('plain-text port serving only grpc.health.v1, for probes without TLS'),
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
  SLCA_EXECUTOR: env
    .oneOf(['in-process', 'kubernetes'] as const)
    .default('in-process')
    .describe('where runs execute: this process, or one Kubernetes Job per run'),
  ...KUBERNETES_EXECUTOR_CONFIG,
};
