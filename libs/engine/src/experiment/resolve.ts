import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { ConfigError, validateConfig } from '../slca/config';
import { CatalogError, configurationSpec } from './catalog';
import { archSchema, configOf, experimentSpecSchema, type ExperimentSpec } from './schema';

export interface SpecIssue {
  /** Dotted field path (`stage1.epochs`, `stage1.augment.transforms[0].size`); '' for the whole file. */
  path: string;
  message: string;
}

/** An experiment that cannot run: every problem with its field path, and where the experiment came from. */
export class ExperimentSpecError extends Error {
  override name = 'ExperimentSpecError';
  constructor(
    readonly source: string,
    readonly issues: SpecIssue[],
  ) {
    super(`${source}: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`);
  }
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)),
    '',
  );
}

/** Reads a JSON or YAML experiment file's text (YAML unless the name ends in .json). */
export function parseExperimentText(text: string, source: string): unknown {
  try {
    if (source.endsWith('.json')) return JSON.parse(text);
    return parseYaml(text, { uniqueKeys: true, prettyErrors: true });
  } catch (error) {
    const where =
      error instanceof YAMLParseError && error.linePos
        ? `:${error.linePos[0].line}:${error.linePos[0].col}`
        : '';
    throw new ExperimentSpecError(`${source}${where}`, [
      {
        path: '',
        message: `not valid ${source.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message.split('\n')[0]}`,
      },
    ]);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

/** `over` merged into `base`: objects key by key, anything else (arrays, null, scalars) replaces. */
function deepMerge(base: unknown, over: unknown): unknown {
  if (!isObject(base) || !isObject(over)) return structuredClone(over);
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over))
    out[key] = key in base ? deepMerge(base[key], value) : value;
  return out;
}

/** A `--set` value: YAML scalars and flow collections (`1e-4`, `true`, `null`, `[40]`, `{p: 0.5}`), else the text. */
function parseSetValue(text: string): unknown {
  try {
    return parseYaml(text);
  } catch {
    return text;
  }
}

/**
 * Applies `path=value` overrides (`stage1.epochs=1`, `alignment=null`, `stage1.milestones=[40]`). The
 * path must name a field the experiment has, so a typo is an error rather than an ignored setting.
 */
export function applySettings(
  target: Record<string, unknown>,
  settings: readonly string[],
  source: string,
): void {
  for (const setting of settings) {
    const eq = setting.indexOf('=');
    if (eq <= 0)
      throw new ExperimentSpecError(source, [{ path: '', message: `--set ${setting}: expected path=value` }]);
    const path = setting.slice(0, eq).trim();
    const keys = path.split('.');
    let node: Record<string, unknown> = target;
    for (const [i, key] of keys.entries()) {
      const here = keys.slice(0, i + 1).join('.');
      if (!(key in node))
        throw new ExperimentSpecError(source, [
          { path: here, message: `--set: unknown field (known here: ${Object.keys(node).join(', ')})` },
        ]);
      if (i === keys.length - 1) node[key] = parseSetValue(setting.slice(eq + 1).trim());
      else {
        const next = node[key];
        if (!isObject(next))
          throw new ExperimentSpecError(source, [{ path: here, message: `--set: ${here} is not an object` }]);
        node = next;
      }
    }
  }
}

function issuesOf(error: z.ZodError): SpecIssue[] {
  return error.issues.map((issue) => {
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') message = `unknown field(s) ${issue.keys.join(', ')}`;
    const path = formatPath(issue.path);
    return {
      path:
        issue.code === 'unrecognized_keys' && issue.keys.length === 1
          ? formatPath([...issue.path, issue.keys[0]])
          : path,
      message,
    };
  });
}

export interface ResolveOptions {
  /** Where the experiment came from, for messages (a file name, `StartRunRequest.experiment_json`). */
  source: string;
  /** `path=value` overrides applied last. */
  settings?: readonly string[];
}

/**
 * Turns an experiment file's contents into a complete, validated experiment. A file either is complete
 * or `extends` a catalogue configuration (`extends: cifar100/in21k/slca`) and gives only what it
 * changes; `settings` are applied after. Every problem names its field path.
 */
export function resolveExperiment(raw: unknown, options: ResolveOptions): ExperimentSpec {
  const { source } = options;
  if (!isObject(raw))
    throw new ExperimentSpecError(source, [
      { path: '', message: 'an experiment must be an object (a mapping)' },
    ]);
  let draft: Record<string, unknown>;
  const { extends: base, ...rest } = raw;
  if (base !== undefined) {
    if (typeof base !== 'string')
      throw new ExperimentSpecError(source, [
        { path: 'extends', message: 'must be a configuration id (a string)' },
      ]);
    let start: ExperimentSpec;
    try {
      const seed = typeof rest.seed === 'number' ? rest.seed : undefined;
      start = configurationSpec(base, seed);
      // Another architecture, in the file or in `arch…=` settings: the configuration for it (the paper's
      // transforms scaled to its input size), whichever way it was given.
      const archSettings = (options.settings ?? []).filter((s) => /^\s*arch(\.|\s*=)/.test(s));
      if (isObject(rest.arch) || archSettings.length > 0) {
        const probe: Record<string, unknown> = {
          arch: { ...start.arch, ...(isObject(rest.arch) ? rest.arch : {}) },
        };
        applySettings(probe, archSettings, source);
        const arch = archSchema.safeParse(probe.arch);
        if (arch.success) start = configurationSpec(base, seed, arch.data);
      }
    } catch (error) {
      if (error instanceof CatalogError)
        throw new ExperimentSpecError(source, [{ path: 'extends', message: error.message }]);
      throw error;
    }
    draft = deepMerge(start, rest) as Record<string, unknown>;
  } else draft = structuredClone(rest);
  applySettings(draft, options.settings ?? [], source);

  const parsed = experimentSpecSchema.safeParse(draft);
  if (!parsed.success) throw new ExperimentSpecError(source, issuesOf(parsed.error));
  try {
    validateConfig(configOf(parsed.data));
  } catch (error) {
    if (error instanceof ConfigError) {
      const [path, ...message] = error.message.split(' ');
      throw new ExperimentSpecError(source, [{ path, message: message.join(' ') }]);
    }
    throw error;
  }
  return parsed.data;
}

/** Parses and resolves an experiment file's text. */
export function resolveExperimentText(text: string, options: ResolveOptions): ExperimentSpec {
  return resolveExperiment(parseExperimentText(text, options.source), options);
}
