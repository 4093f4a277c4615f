/**
 * The Beta distribution on [0, 1], as far as amplitude quantization needs it: log-gamma, the
 * regularized incomplete beta function I_x(a, b) (its CDF), its inverse by bisection, and a
 * method-of-moments fit. float64 throughout, accurate to ~1e-13 relative for the parameter range
 * amplitudes produce (a, b between ~0.1 and ~1e4). Not a statistics library: no sampling, no MLE fit.
 */
import { ValueError } from '../../errors.js';

// Lanczos approximation (g = 7, 9 terms), the published coefficient set; relative error ~1e-15.
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/**
 * ln Γ(z) for z > 0.
 * @example
 * logGamma(5) // ≈ Math.log(24)
 */
export function logGamma(z: number): number {
  if (!(z > 0)) throw new ValueError(`logGamma: argument must be positive, got ${z}`);
  // Reflection keeps the series in its accurate range for small z.
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - logGamma(1 - z);
  const zz = z - 1;
  let s = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) s += LANCZOS[i] / (zz + i);
  const t = zz + LANCZOS_G + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (zz + 0.5) * Math.log(t) - t + Math.log(s);
}

/**
 * ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b).
 * @example
 * logBeta(1, 1) // 0
 */
export function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

/**
 * Continued fraction of I_x(a, b) (the classical expansion with coefficients d_{2m}, d_{2m+1}),
 * evaluated by the modified Lentz method. Converges fast for x < (a + 1) / (a + b + 2).
 */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const TINY = 1e-300;
  const EPS = 1e-15;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let f = d;
  for (let m = 1; m <= 10000; m++) {
    const m2 = 2 * m;
    // even step: d_{2m} = m (b - m) x / ((a + 2m - 1)(a + 2m))
    let num = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + num * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + num / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    f *= d * c;
    // odd step: d_{2m+1} = -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1))
    num = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + num * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + num / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    f *= delta;
    if (Math.abs(delta - 1) < EPS) return f;
  }
  return f;
}

/**
 * The regularized incomplete beta function I_x(a, b) = P(U <= x) for U ~ Beta(a, b).
 * @example
 * betaCdf(0.5, 2, 2) === 0.5; betaCdf(0.25, 1, 1) // 0.25
 */
export function betaCdf(x: number, a: number, b: number): number {
  if (!(a > 0) || !(b > 0)) throw new ValueError(`betaCdf: parameters must be positive, got a = ${a}, b = ${b}`);
  if (Number.isNaN(x)) throw new ValueError(`betaCdf: x is NaN`);
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront = a * Math.log(x) + b * Math.log1p(-x) - logBeta(a, b);
  // Use the fraction where it converges; otherwise the symmetry I_x(a, b) = 1 − I_{1−x}(b, a).
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lnFront) * betaContinuedFraction(x, a, b)) / a;
  return 1 - (Math.exp(lnFront) * betaContinuedFraction(1 - x, b, a)) / b;
}

/**
 * The p-quantile of Beta(a, b) (inverse of `betaCdf`), by bisection to float64 resolution.
 * @example
 * betaQuantile(0.5, 3, 3) // 0.5
 */
export function betaQuantile(p: number, a: number, b: number): number {
  if (!(p >= 0 && p <= 1)) throw new ValueError(`betaQuantile: probability must be in [0, 1], got ${p}`);
  let lo = 0;
  let hi = 1;
  for (let it = 0; it < 80 && hi - lo > 1e-16; it++) {
    const mid = 0.5 * (lo + hi);
    if (betaCdf(mid, a, b) < p) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/** Parameters of a Beta distribution. */
export interface BetaParams {
  readonly alpha: number;
  readonly beta: number;
}

/**
 * Method-of-moments fit of Beta(α, β) to samples in [0, 1]: with mean m and variance v,
 * α = m·c and β = (1 − m)·c where c = m(1 − m)/v − 1 (the Beta's own mean and variance solved for
 * α, β). Throws on an empty set, samples outside [0, 1], or zero variance (no Beta has it).
 * @example
 * fitBetaMoments(Float64Array.of(0.2, 0.4, 0.6, 0.8)) // { alpha: 2, beta: 2 } (mean 0.5, variance 0.05)
 */
export function fitBetaMoments(u: ArrayLike<number>): BetaParams {
  const n = u.length;
  if (n === 0) throw new ValueError(`fitBetaMoments: no samples`);
  let mean = 0;
  for (let i = 0; i < n; i++) {
    const v = u[i];
    if (!(v >= 0 && v <= 1)) throw new ValueError(`fitBetaMoments: sample ${i} = ${v} is outside [0, 1]`);
    mean += v;
  }
  mean /= n;
  let varSum = 0;
  for (let i = 0; i < n; i++) varSum += (u[i] - mean) ** 2;
  const variance = varSum / n;
  if (!(variance > 0) || mean <= 0 || mean >= 1) {
    throw new ValueError(`fitBetaMoments: samples have mean ${mean} and variance ${variance}; a Beta needs 0 < mean < 1 and variance > 0`);
  }
  // For data in [0, 1], v <= m(1 − m) with equality only for all mass on {0, 1}; keep c > 0 anyway.
  const c = Math.max((mean * (1 - mean)) / variance - 1, 1e-6);
  return { alpha: mean * c, beta: (1 - mean) * c };
}
