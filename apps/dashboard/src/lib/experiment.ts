/** Reading a run's experiment (its configuration JSON): parsing, dotted paths, what differs. */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export const isObject = (v: Json | undefined): v is { [key: string]: Json } =>
  !!v && typeof v === 'object' && !Array.isArray(v);

/** The experiment as an object; `{}` where the JSON is missing, broken or not an object. */
export function parseConfig(configJson: string): Record<string, Json> {
  try {
    const value = JSON.parse(configJson || '{}') as Json;
    return isObject(value) ? value : {};
  } catch {
    return {};
  }
}

/** `{a:{b:1}}` → `{"a.b": "1"}`: every leaf setting by its dotted path, values as JSON text. */
export function flattenConfig(
  value: Json,
  path = '',
  out: Record<string, string> = {},
): Record<string, string> {
  if (isObject(value)) {
    for (const key of Object.keys(value).sort())
      flattenConfig(value[key], path ? `${path}.${key}` : key, out);
  } else {
    out[path] = JSON.stringify(value);
  }
  return out;
}

/** Fields an experiment has that the New-run form sets elsewhere, or that are not the run's to choose. */
const NOT_SETTINGS = new Set(['schema', 'configuration', 'benchmark', 'dataset', 'backbone', 'seed']);
/** The trainer sets its own worker count; the result does not depend on it. */
const MACHINE_SETTINGS = new Set(['compute.workers']);

/**
 * `path=value` lines that turn `base` into `experiment` (values as JSON, which the trainer's `set` reads
 * as YAML): what a run changed from its golden configuration, apart from its dataset, backbone and seed.
 */
export function settingsBetween(base: Json | undefined, experiment: Json | undefined, path = ''): string[] {
  if (isObject(base) && isObject(experiment)) {
    return Object.keys(experiment).flatMap((key) => {
      const here = path ? `${path}.${key}` : key;
      if ((!path && NOT_SETTINGS.has(key)) || MACHINE_SETTINGS.has(here)) return [];
      return settingsBetween(base[key], experiment[key], here);
    });
  }
  if (experiment === undefined || JSON.stringify(base) === JSON.stringify(experiment)) return [];
  return [`${path}=${JSON.stringify(experiment)}`];
}
