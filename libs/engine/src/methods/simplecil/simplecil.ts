import type { ContinualMethod, MethodIssue } from '../method';
import { prototypeHead } from './prototypes';

/**
 * SimpleCIL (Zhou et al., "Revisiting class-incremental learning with pre-trained models", 2023): no
 * training at all. The pre-trained backbone stays frozen (with its own final LayerNorm: `stage1` is not
 * used); after each task, the new classes' prototypes (mean features of their training images under the
 * test transform) become a cosine classifier. The training-free baseline every peer reports.
 */
export const SIMPLECIL: ContinualMethod<'simplecil'> = {
  id: 'simplecil',
  label: 'SimpleCIL',
  description: 'prototype (class-mean) cosine classifier on the frozen pre-trained features; no training',
  singleTask: false,
  linearClassifier: true,
  configure: (base) => {
    const cfg = structuredClone(base);
    cfg.method = 'simplecil';
    cfg.stage1.freshFinalNorm = false;
    cfg.alignment = null;
    return cfg;
  },
  issues: (config) => {
    const issues: MethodIssue[] = [];
    if (config.stage1.freshFinalNorm)
      issues.push({
        path: 'stage1.freshFinalNorm',
        message: 'must be false for method simplecil (the frozen pre-trained model keeps its final norm)',
      });
    return issues;
  },
  fineTunes: () => false,
  async learnTask(context) {
    const { known, total, arch, rows, labels } = context;
    const features = await context.features();
    const taskLabels = Int32Array.from(rows, (r) => labels[r]);
    context.heads.push(prototypeHead(features, taskLabels, arch.dim, known, total - known));
  },
};
