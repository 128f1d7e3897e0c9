/**
 * Natural logarithm rounded to the nearest double.
 *
 * numpy's legacy Gaussian calls the platform libm `log`. V8's `Math.log` (an fdlibm port, < 1 ulp)
 * differs from glibc's in the last bit for about 1.5% of the radii the polar method draws, which
 * would make `standardNormal` drift from numpy. glibc's `log` is itself not correctly rounded
 * (~0.52 ulp), so no portable formula can match it in every case; the closest portable target is
 * the correctly rounded value, which agrees with glibc for all but ~0.06% of inputs.
 *
 * Method: x = m·2^e with m in [√½, √2); ln m = 2·atanh(s) = 2s·(1 + z/3 + z²/5 + …) with
 * s = (m−1)/(m+1), z = s², |s| ≤ 0.172. The leading terms are carried in double-double arithmetic
 * (error-free sums and Dekker products), the tail — below 2^-70 of the result — in plain doubles,
 * and the sum is rounded once at the end. Written out without helper calls because this sits in
 * the inner loop of Gaussian sampling.
 */

const SPLITTER = 134217729; // 2^27 + 1, for Dekker's exact product
const LN2_HI = 0.6931471805599453;
const LN2_LO = 2.3190468138462996e-17; // ln 2 − LN2_HI, from a 60-digit decimal evaluation
const MIN_NORMAL = 2.2250738585072014e-308;

/** 1/k as an unevaluated sum hi + lo, exact to ~2^-106. */
function reciprocal(k: number): [number, number] {
  const hi = 1 / k;
  const p = k * hi;
  const t = SPLITTER * hi;
  const hh = t - (t - hi);
  const hl = hi - hh;
  const err = k * hh - p + k * hl; // k has ≤ 27 significant bits, so k·hh and k·hl are exact
  return [hi, (1 - p - err) / k];
}

const [THIRD_HI, THIRD_LO] = reciprocal(3);
const [FIFTH_HI, FIFTH_LO] = reciprocal(5);
/** 1/7, 1/9, …, 1/31: the coefficients of z³… in the plain-double tail. */
const TAIL = Array.from({ length: 13 }, (_, j) => 1 / (7 + 2 * j));

const view = new DataView(new ArrayBuffer(8));

/** ln(x), correctly rounded to nearest for every finite x > 0 (bar near-ties below 2^-70 ulp). */
export function correctlyRoundedLog(x: number): number {
  if (!(x > 0) || x === Infinity) return Math.log(x);
  let e = 0;
  if (x < MIN_NORMAL) {
    x *= 2 ** 64; // lift subnormals so the exponent field is meaningful
    e = -64;
  }
  view.setFloat64(0, x);
  const high = view.getUint32(0);
  e += ((high >>> 20) & 0x7ff) - 1023;
  view.setUint32(0, (high & 0x000fffff) | 0x3ff00000);
  let m = view.getFloat64(0);
  if (m > Math.SQRT2) {
    m *= 0.5;
    e += 1;
  }

  // s = f / (m + 1) as sH + sL; f = m − 1 is exact by Sterbenz, m + 1 = dH + dL exactly.
  const f = m - 1;
  const dH = m + 1;
  const dV = dH - m;
  const dL = m - (dH - dV) + (1 - dV);
  const q = f / dH;
  let t = SPLITTER * q;
  const qh = t - (t - q);
  const ql = q - qh;
  t = SPLITTER * dH;
  const dh = t - (t - dH);
  const dl = dH - dh;
  const p = q * dH;
  const pErr = qh * dh - p + qh * dl + ql * dh + ql * dl;
  const r = f - p - pErr - q * dL;
  const sH = q + r / dH;
  const sL = r / dH - (sH - q);

  // z = s² as zH + zL.
  t = SPLITTER * sH;
  const sh = t - (t - sH);
  const sl = sH - sh;
  const zP = sH * sH;
  const zH = zP + (sh * sh - zP + 2 * sh * sl + sl * sl + 2 * sH * sL);
  const zL = sh * sh - zP + 2 * sh * sl + sl * sl + 2 * sH * sL - (zH - zP);

  // c = 1/5 + z·(1/7 + z/9 + …): the part beyond 1/5 is ≤ 0.006, so a double carries it.
  let tail = 0;
  for (let j = TAIL.length - 1; j >= 0; j--) tail = TAIL[j] + zH * tail;
  const zt = zH * tail;
  let cH = FIFTH_HI + zt;
  let cL = FIFTH_LO + (zt - (cH - FIFTH_HI));

  // c ← 1/3 + z·c, then c ← 1 + z·c, each in double-double.
  for (let step = 0; step < 2; step++) {
    const aH = step === 0 ? THIRD_HI : 1;
    const aL = step === 0 ? THIRD_LO : 0;
    t = SPLITTER * zH;
    const zh = t - (t - zH);
    const zl = zH - zh;
    t = SPLITTER * cH;
    const ch = t - (t - cH);
    const cl = cH - ch;
    const mP = zH * cH;
    const mErr = zh * ch - mP + zh * cl + zl * ch + zl * cl + (zH * cL + zL * cH);
    const sum = aH + mP;
    const bv = sum - aH;
    const sumErr = aH - (sum - bv) + (mP - bv) + mErr + aL;
    cH = sum + sumErr;
    cL = sumErr - (cH - sum);
  }

  // ln m = 2s·c.
  const s2H = 2 * sH;
  const s2L = 2 * sL;
  t = SPLITTER * s2H;
  const ah = t - (t - s2H);
  const al = s2H - ah;
  t = SPLITTER * cH;
  const bh = t - (t - cH);
  const bl = cH - bh;
  const lP = s2H * cH;
  const lErr = ah * bh - lP + ah * bl + al * bh + al * bl + (s2H * cL + s2L * cH);

  // e·ln2 + ln m; e has ≤ 11 bits, so e·LN2_HI's error is recovered exactly by the split product.
  const eP = e * LN2_HI;
  t = SPLITTER * LN2_HI;
  const lh = t - (t - LN2_HI);
  const ll = LN2_HI - lh;
  const eErr = e * lh - eP + e * ll + e * LN2_LO;
  const total = eP + lP;
  const bv = total - eP;
  const totalErr = eP - (total - bv) + (lP - bv) + eErr + lErr;
  return total + totalErr;
}
