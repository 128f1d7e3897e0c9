import {
  applyMethod,
  BENCHMARK_CATALOG,
  configOf,
  configurationId,
  configurationSpec,
  EMBEDDED_BACKBONE_NAME,
  EMBEDDED_DATASET_NAME,
  EXPERIMENT_SCHEMA,
  ExperimentSpecError,
  resolveExperiment,
  runIdProblem,
  tagProblem,
  type ExperimentConfig,
  type ExperimentSpec,
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

/**
 * The largest seed the request's `seed` field takes. The field is a uint32 on the wire, where a client's
 * −1 arrives as 4294967295: no value from 2^31 up is taken from it, so a negative seed is refused rather
 * than run as another one. Larger seeds (up to 2^32 − 1) go in `experiment_json`, whose JSON keeps the sign.
 */
export const MAX_REQUEST_SEED = 0x7fffffff;

/** A catalogue benchmark id, as run records name it. */
export type Benchmark = ExperimentSpec['benchmark'];

export interface RunRequest {
  runId: string;
  benchmark: string;
  method: string;
  seed: number;
  epochs: number;
  checkpointEvery: number;
  tags: string[];
  configOverridesJson: string;
  experimentJson?: string;
  set?: string[];
  /** Resolve and check only; store nothing. */
  validateOnly?: boolean;
}

export interface RunSpec {
  runId: string;
  benchmark: string;
  method: Method;
  seed: number;
  tags: string[];
  checkpointEvery: number;
  /** The complete experiment: what the record keeps (as its configuration JSON) and the executor runs. */
  experiment: ExperimentSpec;
  /** The engine's part of it. */
  config: ExperimentConfig;
}

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
 * Re-raises an experiment's refusal as the request field it came in: inside `experiment_json` the field
 * is the path within it (`experiment_json.stage1.epochs`); elsewhere the field, with the path in the message.
 */
function asRequestError(field: string, error: unknown, nested = false): never {
  if (error instanceof ExperimentSpecError) {
    const [first] = error.issues;
    if (nested && first?.path)
      throw new RunSpecError(
        `${field}.${first.path}`,
        error.issues.map((i) => (i === first ? i.message : `${i.path}: ${i.message}`)).join('; '),
      );
    throw new RunSpecError(
      field,
      error.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; '),
    );
  }
  throw error;
}

/**
 * The experiment of a request in the older form: a benchmark's golden configuration for the method and seed
 * (its first pre-training), the epoch override, then configuration overrides merged over it with the
 * method's rules re-applied (Seq FT keeps the backbone at the head's rate whatever the overrides say),
 * except an explicit `alignment`, which is the plug-in choice.
 */
function legacyExperiment(req: RunRequest): ExperimentSpec {
  const benchmarkId = req.benchmark || 'embedded';
  const benchmark = BENCHMARK_CATALOG.find((b) => b.id === benchmarkId);
  if (!benchmark)
    throw new RunSpecError(
      'benchmark',
      `unknown benchmark "${benchmarkId}"; known: ${BENCHMARK_CATALOG.map((b) => b.id).join(', ')}`,
    );
  if (!(benchmark.methods as readonly string[]).includes(req.method))
    throw new RunSpecError(
      'method',
      `unknown method "${req.method}" for ${benchmark.id}; known: ${benchmark.methods.join(', ')}`,
    );
  const method = req.method as Method;
  const base = configurationSpec(configurationId(benchmark.id, benchmark.backbones[0], method), req.seed);
  let config = configOf(base);
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
    // `alignment` given in the overrides selects (or drops) classifier alignment as a plug-in (Seq FT + CA,
    // L2P + CA): the method's defaults do not undo it. Whether the method admits it is checked with the rest.
    if (overrides && typeof overrides === 'object' && 'alignment' in overrides)
      config.alignment = (draft as unknown as ExperimentConfig).alignment;
  }
  const spec = { ...base, ...config };
  try {
    return resolveExperiment(spec, { source: 'config_overrides_json' });
  } catch (error) {
    return asRequestError('config_overrides_json', error);
  }
}

/**
 * Turns a StartRun request into a run. An `experiment_json` (complete, or extending a catalogue
 * configuration) is resolved with the engine's one schema; otherwise the older fields (benchmark,
 * method, seed, epochs, overrides) pick a golden configuration. `set` overrides apply last. Every
 * problem names its field, inside the experiment too (`experiment_json.stage1.epochs`). The trainer's
 * worker count replaces the experiment's: it is this machine's, and results do not depend on it.
 */
export function runSpecFrom(
  req: RunRequest,
  defaults: { workers: number; checkpointEvery: number; newId: () => string },
): RunSpec {
  const runId = req.runId || defaults.newId();
  const idProblem = runIdProblem(runId);
  if (idProblem) throw new RunSpecError('run_id', idProblem);
  if (!Number.isInteger(req.seed) || req.seed < 0 || req.seed > MAX_REQUEST_SEED) {
    const asUint32 =
      Number.isInteger(req.seed) && req.seed > MAX_REQUEST_SEED && req.seed <= 0xffffffff
        ? ` (a negative seed, ${req.seed - 2 ** 32}, sent as uint32?)`
        : '';
    throw new RunSpecError(
      'seed',
      `must be an integer in [0, 2^31 − 1] (larger seeds go in experiment_json), got ${req.seed}${asUint32}`,
    );
  }
  if (!Number.isInteger(req.epochs) || req.epochs < 0)
    throw new RunSpecError('epochs', `must be 0 (the default) or a positive integer, got ${req.epochs}`);
  if (!Number.isInteger(req.checkpointEvery) || req.checkpointEvery < 0)
    throw new RunSpecError(
      'checkpoint_every',
      `must be 0 (the default) or a positive integer, got ${req.checkpointEvery}`,
    );
  for (const tag of req.tags) {
    const problem = tagProblem(tag);
    if (problem) throw new RunSpecError('tags', problem);
  }

  let experiment: ExperimentSpec;
  if (req.experimentJson) {
    for (const [field, value] of [
      ['benchmark', req.benchmark],
      ['method', req.method],
      ['epochs', req.epochs],
      ['config_overrides_json', req.configOverridesJson],
    ] as const)
      if (value)
        throw new RunSpecError(field, 'must be empty with experiment_json (set it inside the experiment)');
    let raw: unknown;
    try {
      raw = JSON.parse(req.experimentJson);
    } catch (e) {
      throw new RunSpecError('experiment_json', `not valid JSON: ${(e as Error).message}`);
    }
    if (req.seed && raw && typeof raw === 'object' && !Array.isArray(raw)) raw = { ...raw, seed: req.seed };
    try {
      experiment = resolveExperiment(raw, { source: 'experiment_json', settings: req.set ?? [] });
    } catch (error) {
      return asRequestError('experiment_json', error, true);
    }
  } else {
    experiment = legacyExperiment(req);
    if (req.set?.length) {
      try {
        experiment = resolveExperiment(experiment, { source: 'set', settings: req.set });
      } catch (error) {
        return asRequestError('set', error);
      }
    }
  }
  experiment.compute.workers = defaults.workers;
  return {
    runId,
    benchmark: experiment.benchmark,
    method: experiment.method,
    seed: experiment.seed,
    tags: [...new Set(req.tags)],
    checkpointEvery: req.checkpointEvery || defaults.checkpointEvery,
    experiment,
    config: configOf(experiment),
  };
}

/**
 * The experiment of a stored run record's configuration JSON. Records written before experiments had a
 * schema hold the engine's configuration of an embedded run: they are read as that.
 */
export function experimentOfRecord(configJson: string): ExperimentSpec {
  const stored = JSON.parse(configJson) as Record<string, unknown>;
  if (stored.schema === EXPERIMENT_SCHEMA) return stored as unknown as ExperimentSpec;
  return {
    schema: EXPERIMENT_SCHEMA,
    configuration: null,
    benchmark: 'embedded',
    dataset: EMBEDDED_DATASET_NAME,
    backbone: EMBEDDED_BACKBONE_NAME,
    testTransform: null,
    ...(stored as unknown as ExperimentConfig),
  };
}
