import { splitHeads } from '../../slca/heads';
import { streamRng } from '../../slca/streams';
import type { ContinualMethod, FeatureMap, MethodIssue } from '../method';
import { DEFAULT_RANPAC, type RanpacOptions } from './options';
import { accumulateGram, chooseRidge, leadingColumns, projectRelu, ridgeSolve } from './ridge';

/** The random projection of a run: W [dim, M] ~ N(0, 1), row-major, from the seed's own stream. */
export function randomProjection(seed: number, dim: number, m: number): Float32Array {
  const rng = streamRng(seed, 'ranpac-projection');
  const w = new Float32Array(dim * m);
  for (let i = 0; i < w.length; i++) w[i] = rng.standardNormal();
  return w;
}

function optionsOf(config: { ranpac?: RanpacOptions }): RanpacOptions {
  if (!config.ranpac) throw new Error('method ranpac needs its ranpac settings');
  return config.ranpac;
}

/**
 * RanPAC (McDonnell et al., "RanPAC: Random Projections and Pre-trained Models for Continual Learning",
 * NeurIPS 2023; reference RanPAC/RanPAC `RanPAC.py`): optional first-session adaptation, then a frozen
 * backbone whose features go through a fixed random projection with ReLU; the Gram matrix G = Σ hhᵀ and
 * the class prototypes Q = Σ h yᵀ are accumulated over every task, and the classifier is the ridge
 * solution W = (G + λI)⁻¹ Q, with λ chosen per task on held-out training features. G and Q are the state
 * kept between tasks (float64, in every checkpoint); the projection is re-derived from the seed.
 */
export const RANPAC: ContinualMethod<'ranpac'> = {
  id: 'ranpac',
  label: 'RanPAC',
  description:
    'random projection + ReLU of frozen features, Gram-matrix ridge classifier (λ by validation); first-session adaptation',
  singleTask: false,
  linearClassifier: false,
  optionsKey: 'ranpac',
  configure: (base) => {
    const cfg = structuredClone(base);
    cfg.method = 'ranpac';
    cfg.stage1.freshFinalNorm = false;
    cfg.alignment = null;
    cfg.ranpac = structuredClone(base.ranpac ?? DEFAULT_RANPAC);
    return cfg;
  },
  issues: (config) => {
    const issues: MethodIssue[] = [];
    if (!config.ranpac) issues.push({ path: 'ranpac', message: 'method ranpac needs its ranpac settings' });
    if (config.stage1.freshFinalNorm)
      issues.push({
        path: 'stage1.freshFinalNorm',
        message: 'must be false for method ranpac (the pre-trained model keeps its final norm)',
      });
    return issues;
  },
  fineTunes: (config, task) => task === 0 && optionsOf(config).firstSessionAdaptation,
  initialState: (config, classes) => {
    const m = optionsOf(config).projectionDim || config.arch.dim;
    return {
      tensors: { gram: new Float64Array(m * m), targets: new Float64Array(m * classes) },
      values: { ridges: [] },
    };
  },
  featureMap(config): FeatureMap | null {
    const m = optionsOf(config).projectionDim;
    if (m === 0) return null;
    const dim = config.arch.dim;
    return { kind: 'random-relu', inDim: dim, outDim: m, weight: randomProjection(config.seed, dim, m) };
  },
  async learnTask(context) {
    const { config, arch, rows, labels, known, total, task, sizes, state } = context;
    const options = optionsOf(config);
    const map = this.featureMap?.(config) ?? null;
    const m = map ? map.outDim : arch.dim;
    const classes = sizes.reduce((a, b) => a + b, 0);
    const { gram, targets } = state.tensors;
    if (gram?.length !== m * m || targets?.length !== m * classes)
      throw new Error(`ranpac: the stored Gram matrix does not fit M = ${m} and ${classes} classes`);
    const features = await context.features();
    const n = rows.length;
    const h = projectRelu(features, n, arch.dim, map?.weight ?? null, m);
    const taskLabels = Int32Array.from(rows, (r) => labels[r]);
    accumulateGram(gram, targets, h, n, m, taskLabels, classes);

    // λ from this task's features, in a seeded shuffled order (the reference's loader shuffles).
    const order = streamRng(config.seed, `ranpac-ridge-${task}`).permutation(n);
    const width = total - known;
    const shuffled = new Float64Array(n * m);
    const oneHot = new Float64Array(n * width);
    order.forEach((row, i) => {
      shuffled.set(h.subarray(row * m, (row + 1) * m), i * m);
      oneHot[i * width + taskLabels[row] - known] = 1;
    });
    const { ridge } = chooseRidge(shuffled, oneHot, n, m, width, options.ridges, options.fitFraction);
    state.values.ridges = [...(state.values.ridges ?? []), ridge];

    const readout = ridgeSolve(gram, leadingColumns(targets, m, classes, total), m, total, ridge);
    const heads = splitHeads(
      Float32Array.from(readout),
      new Float32Array(total),
      m,
      sizes.slice(0, task + 1),
    );
    context.heads.splice(0, context.heads.length, ...heads);
  },
};
