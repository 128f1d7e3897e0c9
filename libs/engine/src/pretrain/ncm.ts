/**
 * Nearest-class-mean accuracy: the standard probe of how good frozen features are. Features are
 * L2-normalised, class means are taken over the reference set, and each query is assigned to the class
 * whose (re-normalised) mean is most cosine-similar.
 */
export function ncmAccuracy(
  reference: { features: Float32Array; labels: ArrayLike<number> },
  query: { features: Float32Array; labels: ArrayLike<number> },
  dim: number,
): number {
  const classes = Math.max(...Array.from(reference.labels)) + 1;
  const means = new Float64Array(classes * dim);
  const unit = (src: Float32Array, row: number): Float64Array => {
    const v = Float64Array.from(src.subarray(row * dim, (row + 1) * dim));
    const n = Math.hypot(...v) || 1;
    for (let j = 0; j < dim; j++) v[j] /= n;
    return v;
  };
  for (let i = 0; i < reference.labels.length; i++) {
    const v = unit(reference.features, i);
    const c = reference.labels[i];
    for (let j = 0; j < dim; j++) means[c * dim + j] += v[j];
  }
  for (let c = 0; c < classes; c++) {
    const m = means.subarray(c * dim, (c + 1) * dim);
    const n = Math.hypot(...m) || 1;
    for (let j = 0; j < dim; j++) m[j] /= n;
  }
  let correct = 0;
  for (let i = 0; i < query.labels.length; i++) {
    const v = unit(query.features, i);
    let best = -1;
    let bestScore = -Infinity;
    for (let c = 0; c < classes; c++) {
      let s = 0;
      for (let j = 0; j < dim; j++) s += v[j] * means[c * dim + j];
      if (s > bestScore) {
        bestScore = s;
        best = c;
      }
    }
    if (best === query.labels[i]) correct++;
  }
  return (100 * correct) / query.labels.length;
}
