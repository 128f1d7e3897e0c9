import type { ExperimentConfig } from '../slca/config';
import { DUALPROMPT } from './dualprompt/dualprompt';
import { JOINT } from './joint/joint';
import { L2P } from './l2p/l2p';
import { alignmentIssues } from './fine-tuning';
import type { ContinualMethod, FeatureMap, MethodIssue } from './method';
import { RANPAC } from './ranpac/ranpac';
import { SIMPLECIL } from './simplecil/simplecil';
import { SEQFT } from './seqft/seqft';
import { SL } from './sl/sl';
import { SLCA } from './slca/slca';
import { SLCA_NOLN } from './slca-noln/slca-noln';
import { SLCAPP } from './slcapp/slcapp';

/**
 * Every method the platform runs, in the order tables list them. Adding a method is a folder under
 * `methods/` and a line here; the catalogue, the experiment schema, the CLI, the trainer's GetCatalog and
 * the dashboard take the list from this registry.
 */
export const METHOD_REGISTRY = [
  SEQFT,
  SL,
  SLCA,
  SLCA_NOLN,
  SLCAPP,
  JOINT,
  SIMPLECIL,
  RANPAC,
  L2P,
  DUALPROMPT,
] as const;

export type Method = (typeof METHOD_REGISTRY)[number]['id'];
export const METHODS = METHOD_REGISTRY.map((m) => m.id) as [Method, ...Method[]];

export function methodDefinition(id: string): ContinualMethod {
  const method = METHOD_REGISTRY.find((m) => m.id === id);
  if (!method) throw new Error(`unknown method "${id}"; known: ${METHODS.join(', ')}`);
  return method;
}

/** Whether a method trains every class as one task (Joint): its split has a single task. */
export function isSingleTask(method: string): boolean {
  return methodDefinition(method).singleTask;
}

/**
 * What in a configuration contradicts its method: the method's own rules, the alignment plug-in's, and
 * other methods' settings present where they do not apply.
 */
export function methodIssues(config: ExperimentConfig): MethodIssue[] {
  const method = methodDefinition(config.method);
  const issues = [...alignmentIssues(method, config), ...method.issues(config)];
  for (const other of METHOD_REGISTRY)
    if (other.optionsKey && other.id !== method.id && config[other.optionsKey] !== undefined)
      issues.push({
        path: other.optionsKey,
        message: `only for method ${other.id}; remove it for method ${method.id}`,
      });
  return issues;
}

/**
 * What a run's heads read instead of the backbone's features (RanPAC's seeded projection), or null: the
 * evaluator derives it from the run's configuration, as the trainer does.
 */
export function featureMapOf(config: ExperimentConfig): FeatureMap | null {
  return methodDefinition(config.method).featureMap?.(config) ?? null;
}
