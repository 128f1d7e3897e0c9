import { Mt19937 } from './random/mt19937';

/**
 * The SLCA class order: `numpy.random.RandomState(seed).permutation(nClasses)`.
 * Entry k is the original label that becomes new label k.
 */
export function classOrder(nClasses: number, seed: number): number[] {
  if (!Number.isInteger(nClasses) || nClasses <= 0) {
    throw new RangeError(`classOrder: nClasses must be a positive integer, got ${String(nClasses)}`);
  }
  return new Mt19937(seed).permutation(nClasses);
}

/**
 * Inverts a class order into a lookup table: `remapLabels(order)[original] === k` where
 * `order[k] === original`. Throws unless `order` is a permutation of 0..n-1, because a repeated or
 * missing label would silently merge or drop a class.
 */
export function remapLabels(order: readonly number[]): Int32Array {
  const lookup = new Int32Array(order.length).fill(-1);
  order.forEach((original, k) => {
    if (!Number.isInteger(original) || original < 0 || original >= order.length) {
      throw new RangeError(
        `remapLabels: order[${k}] = ${String(original)} is not a label in 0..${order.length - 1}`,
      );
    }
    if (lookup[original] !== -1) {
      throw new RangeError(
        `remapLabels: label ${original} appears twice (order[${lookup[original]}] and order[${k}])`,
      );
    }
    lookup[original] = k;
  });
  return lookup;
}
