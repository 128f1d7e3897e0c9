import type { Head } from '../../slca/heads';

export class PrototypeError extends Error {
  override name = 'PrototypeError';
}

/**
 * SimpleCIL's classifier for one task (Zhou et al. 2023, `models/simplecil.py` of RevisitingCIL): the mean
 * feature of each new class (accumulated in float64), divided by its norm. The prediction is the cosine
 * similarity cos(f, p_c) = f · p_c / (‖f‖ ‖p_c‖); ‖f‖ is the same for every class of a sample, so the
 * argmax of f · (p_c / ‖p_c‖) is the argmax of the cosine, and the normalised prototypes are an ordinary
 * linear head (bias 0) that every evaluator reads like any other.
 *
 * `features` is [labels.length, dim]; classes [known, known + classes) each need at least one row.
 */
export function prototypeHead(
  features: Float32Array,
  labels: ArrayLike<number>,
  dim: number,
  known: number,
  classes: number,
): Head {
  const sums = new Float64Array(classes * dim);
  const counts = new Float64Array(classes);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i] - known;
    if (c < 0 || c >= classes) continue;
    counts[c]++;
    for (let k = 0; k < dim; k++) sums[c * dim + k] += features[i * dim + k];
  }
  const weight = new Float32Array(dim * classes);
  for (let c = 0; c < classes; c++) {
    if (counts[c] === 0)
      throw new PrototypeError(`class ${known + c}: no training features for its prototype`);
    let norm = 0;
    for (let k = 0; k < dim; k++) {
      sums[c * dim + k] /= counts[c];
      norm += sums[c * dim + k] ** 2;
    }
    norm = Math.sqrt(norm);
    if (!Number.isFinite(norm) || norm === 0)
      throw new PrototypeError(
        `class ${known + c}: its prototype has norm ${norm}; cosine needs a non-zero finite one`,
      );
    // Engine head layout: weight [dim, classes], row-major.
    for (let k = 0; k < dim; k++) weight[k * classes + c] = sums[c * dim + k] / norm;
  }
  return { classes, weight, bias: new Float32Array(classes) };
}
