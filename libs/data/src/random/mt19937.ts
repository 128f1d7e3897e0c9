/**
 * A Mersenne Twister that reproduces numpy's legacy `np.random.RandomState(seed)` bit for bit.
 *
 * The SLCA protocol fixes class orders as `RandomState(seed).permutation(n)`, so results are only
 * comparable with the reference code if every draw matches numpy exactly — including numpy's own
 * conventions on top of MT19937 (53-bit doubles from two words, the polar Gaussian with a cached
 * second value, and masked rejection for bounded integers).
 */

import { correctlyRoundedLog } from './correctly-rounded-log';

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;
const MAX_SEED = 0xffffffff;

/**
 * Everything needed to resume a generator exactly where it stopped. Mirrors the tuple numpy's
 * `RandomState.get_state()` returns: `('MT19937', key, pos, has_gauss, cached_gaussian)`.
 */
export interface Mt19937State {
  /** The 624 32-bit words of the twister state (unsigned). */
  key: number[];
  /** Index of the next word to temper, 0..624 (624 means the block must be regenerated first). */
  pos: number;
  /** Whether `standardNormal()` holds the second value of its last polar pair. */
  hasGauss: boolean;
  /** That cached value (0 when `hasGauss` is false). */
  gauss: number;
}

export class Mt19937 {
  private readonly mt = new Uint32Array(N);
  private pos = N;
  private hasGauss = false;
  private gauss = 0;

  /** @param seed an integer in 0..2^32-1, the same range numpy's legacy seeding accepts. */
  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
      throw new RangeError(`Mt19937 seed must be an integer in 0..${MAX_SEED}, got ${String(seed)}`);
    }
    const mt = this.mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      // Math.imul keeps the 32-bit wrap-around of the C reference; a plain `*` would lose low bits.
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }

  nextUint32(): number {
    if (this.pos >= N) this.regenerate();
    let y = this.mt[this.pos++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** A double in [0, 1) with 53 random bits: 27 from one word and 26 from the next, as numpy does. */
  randomSample(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /**
   * numpy's legacy `standard_normal`: the polar (Marsaglia) form of Box–Muller. Each accepted pair
   * yields two normals; the first call returns `f·x2` and caches `f·x1` for the next call.
   */
  standardNormal(): number {
    if (this.hasGauss) {
      this.hasGauss = false;
      const cached = this.gauss;
      this.gauss = 0;
      return cached;
    }
    let x1: number;
    let x2: number;
    let r2: number;
    do {
      x1 = 2 * this.randomSample() - 1;
      x2 = 2 * this.randomSample() - 1;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1 || r2 === 0);
    const f = Math.sqrt((-2 * correctlyRoundedLog(r2)) / r2);
    this.gauss = f * x1;
    this.hasGauss = true;
    return f * x2;
  }

  /**
   * A uniform integer in [0, max], by drawing words masked to the smallest covering power of two
   * and rejecting those above `max`. This is the sampler legacy `RandomState.shuffle` uses; it
   * consumes no draw at all when `max` is 0.
   */
  randomInterval(max: number): number {
    if (!Number.isInteger(max) || max < 0 || max > MAX_SEED) {
      throw new RangeError(`randomInterval max must be an integer in 0..${MAX_SEED}, got ${String(max)}`);
    }
    if (max === 0) return 0;
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    let value: number;
    do {
      value = (this.nextUint32() & mask) >>> 0;
    } while (value > max);
    return value;
  }

  /** In-place Fisher–Yates from the last index down, as legacy `RandomState.shuffle` does for 1-d arrays. */
  shuffle<T>(array: T[] | { length: number; [index: number]: T }): void {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.randomInterval(i);
      const tmp = array[i];
      array[i] = array[j];
      array[j] = tmp;
    }
  }

  /** `RandomState.permutation(n)`: a shuffled `0..n-1`. */
  permutation(n: number): number[] {
    if (!Number.isInteger(n) || n < 0) {
      throw new RangeError(`permutation size must be a non-negative integer, got ${String(n)}`);
    }
    const out = Array.from({ length: n }, (_, i) => i);
    this.shuffle(out);
    return out;
  }

  /** A copy of the state; plain JSON, so it can go into a checkpoint. */
  get state(): Mt19937State {
    return { key: Array.from(this.mt), pos: this.pos, hasGauss: this.hasGauss, gauss: this.gauss };
  }

  set state(state: Mt19937State) {
    const { key, pos, hasGauss, gauss } = state;
    if (!Array.isArray(key) || key.length !== N) {
      throw new RangeError(
        `Mt19937 state.key must hold ${N} words, got ${Array.isArray(key) ? key.length : typeof key}`,
      );
    }
    key.forEach((word, i) => {
      if (!Number.isInteger(word) || word < 0 || word > MAX_SEED) {
        throw new RangeError(
          `Mt19937 state.key[${i}] must be a 32-bit unsigned integer, got ${String(word)}`,
        );
      }
    });
    if (!Number.isInteger(pos) || pos < 0 || pos > N) {
      throw new RangeError(`Mt19937 state.pos must be an integer in 0..${N}, got ${String(pos)}`);
    }
    if (typeof hasGauss !== 'boolean') {
      throw new RangeError(`Mt19937 state.hasGauss must be a boolean, got ${typeof hasGauss}`);
    }
    if (typeof gauss !== 'number' || !Number.isFinite(gauss)) {
      throw new RangeError(`Mt19937 state.gauss must be a finite number, got ${String(gauss)}`);
    }
    this.mt.set(key);
    this.pos = pos;
    this.hasGauss = hasGauss;
    this.gauss = hasGauss ? gauss : 0;
  }

  private regenerate(): void {
    const mt = this.mt;
    let k = 0;
    for (; k < N - M; k++) {
      const y = (mt[k] & UPPER_MASK) | (mt[k + 1] & LOWER_MASK);
      mt[k] = mt[k + M] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    for (; k < N - 1; k++) {
      const y = (mt[k] & UPPER_MASK) | (mt[k + 1] & LOWER_MASK);
      mt[k] = mt[k + M - N] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    const y = (mt[N - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK);
    mt[N - 1] = mt[M - 1] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    this.pos = 0;
  }
}
