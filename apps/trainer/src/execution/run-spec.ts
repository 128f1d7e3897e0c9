import {
  applyMethod,
  ConfigError,
  embeddedConfig,
  METHODS,
  validateConfig,
  type ExperimentConfig,
  type Method,
} from '@slca/engine';

/** A field of the request that cannot be honoured; the service turns it into INVALID_ARGUMENT. */
export class RunSpecError extends Error {
  override name = 'RunSpecError';
  readonly code = 'invalid_argument';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** The benchmarks the trainer can run, with the dataset (as the splitter registers it) and its image size. */
export const BENCHMARKS = {
  embedded: { dataset: 'split-emoji', imageSize: 32 },
} as const;
export type Benchmark = keyof typeof BENCHMARKS;

export interface RunRequest {
  runId: string;
  benchmark: string;
  method: string;
  seed: number;
  epochs: number;
  checkpointEvery: number;
  tags: string[];
  configOverridesJson: string;
}

export interface RunSpec {
  runId: string;
  benchmark: Benchmark;
  method: Method;
  seed: number;
  tags: string[];
  checkpointEvery: number;
  config: ExperimentConfig;
}

const RUN_ID = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const TAG = /^[A-Za-z0-9][A-Za-z0-9 ._:/-]{0,39}$/;

function mergeOverrides(target: Record<string, unknown>, overrides: unknown, path: string): void {
  if (!overrides || typeof overrides !== 'object' || Array.isArray(overrides))
    throw new RunSpecError('config_overrides_json', `${path || 'the value'} must be a JSON object`);
  for (const [key, value] of Object.entries(overrides)) {
    const where = path ? `${path}.${key}` : key;
    if (!(key in target)) throw new RunSpecError('config_overrides_json', `unknown setting ${where}`);
    const current = target[key];
    if (
      current &&
      typeof current === 'object' &&
      !Array.isArray(current) &&
      value &&
      typeof value === 'object'
    )
      mergeOverrides(current as Record<string, unknown>, value, where);
    else if (current !== null && value !== null && typeof current !== typeof value)
      throw new RunSpecError('config_overrides_json', `${where} must be a ${typeof current}`);
    else target[key] = value;
  }
}

/**
 * Turns a StartRun request into a run: the benchmark's golden configuration for the method and seed, the
 * epoch override, then any configuration overrides, validated by the engine. Every problem names its field.
 */
export function runSpecFrom(
  req: RunRequest,
  defaults: { workers: number; checkpointEvery: number; newId: () => string },
): RunSpec {
  const runId = req.runId || defaults.newId();
  if (!RUN_ID.test(runId) || runId.includes('..'))
    throw new RunSpecError('run_id', `"${runId}" must match ${RUN_ID.source}`);
  const benchmark = req.benchmark || 'embedded';
  if (!(benchmark in BENCHMARKS))
    throw new RunSpecError(
      'benchmark',
      `unknown benchmark "${benchmark}"; known: ${Object.keys(BENCHMARKS).join(', ')}`,
    );
  if (!(METHODS as readonly string[]).includes(req.method))
    throw new RunSpecError('method', `unknown method "${req.method}"; known: ${METHODS.join(', ')}`);
  const method = req.method as Method;
  if (!Number.isInteger(req.seed) || req.seed < 0 || req.seed > 0xffffffff)
    throw new RunSpecError('seed', `must be an integer in [0, 2^32), got ${req.seed}`);
  if (!Number.isInteger(req.epochs) || req.epochs < 0)
    throw new RunSpecError('epochs', `must be 0 (the default) or a positive integer, got ${req.epochs}`);
  if (!Number.isInteger(req.checkpointEvery) || req.checkpointEvery < 0)
    throw new RunSpecError(
      'checkpoint_every',
      `must be 0 (the default) or a positive integer, got ${req.checkpointEvery}`,
    );
  const badTag = req.tags.find((t) => !TAG.test(t));
  if (badTag !== undefined) throw new RunSpecError('tags', `"${badTag}" must match ${TAG.source}`);

  let config = embeddedConfig(method, req.seed, { workers: defaults.workers });
  if (req.epochs > 0) {
    config.stage1.epochs = req.epochs;
    config.stage1.milestones = config.stage1.milestones.filter((m) => m < req.epochs);
  }
  if (req.configOverridesJson) {
    let overrides: unknown;
    try {
      overrides = JSON.parse(req.configOverridesJson);
    } catch (e) {
      throw new RunSpecError('config_overrides_json', `not valid JSON: ${(e as Error).message}`);
    }
    if (overrides && typeof overrides === 'object' && ('method' in overrides || 'seed' in overrides))
      throw new RunSpecError('config_overrides_json', 'set method and seed with their own fields');
    const draft = structuredClone(config) as unknown as Record<string, unknown>;
    mergeOverrides(draft, overrides, '');
    config = applyMethod(draft as unknown as ExperimentConfig, method);
  }
  try {
    validateConfig(config);
  } catch (e) {
    if (e instanceof ConfigError) throw new RunSpecError('config_overrides_json', e.message);
    throw e;
  }
  return {
    runId,
    benchmark: benchmark as Benchmark,
    method,
    seed: req.seed,
    tags: [...new Set(req.tags)],
    checkpointEvery: req.checkpointEvery || defaults.checkpointEvery,
    config,
  };
}
