import type { ExperimentConfig } from '../slca/config';
import type { ContinualMethod, MethodIssue } from './method';

/**
 * The methods that fine-tune the backbone and a new linear head at every task (docs/method.md §8): Seq FT,
 * Slow Learner, SLCA and Joint differ only in their settings. Stage 1's head is the task's head.
 */
export function fineTuningMethod<Id extends string>(
  definition: Pick<ContinualMethod<Id>, 'id' | 'label' | 'description' | 'configure'> &
    Partial<Pick<ContinualMethod<Id>, 'singleTask' | 'alignmentRequired' | 'issues'>>,
): ContinualMethod<Id> {
  return {
    singleTask: false,
    linearClassifier: true,
    fineTunes: () => true,
    issues: () => [],
    ...definition,
  };
}

/** The plug-in rule: alignment only after a linear classifier over the backbone's features. */
export function alignmentIssues(method: ContinualMethod, config: ExperimentConfig): MethodIssue[] {
  if (method.alignmentRequired && config.alignment === null)
    return [{ path: 'alignment', message: `method ${method.id} needs alignment settings` }];
  if (config.alignment !== null && !method.linearClassifier)
    return [
      {
        path: 'alignment',
        message: `must be null for method ${method.id} (its heads do not read the backbone's features, so classifier alignment cannot follow it)`,
      },
    ];
  if (config.alignment !== null && method.singleTask)
    return [
      {
        path: 'alignment',
        message: `must be null for method ${method.id} (one task: alignment runs from the second task on)`,
      },
    ];
  return [];
}
