/**
 * Amplitude (gain) quantization for PVQ (van der Ouderaa et al. 2024, "Pyramid Vector Quantization
 * for LLMs", §3.3): a weight group w_g of D values is coded as ρ · r · y/‖y‖ where y is its pyramid
 * codeword, ρ = ‖w_row‖₂ is one scale per row, and r = ⟨w_g, y⟩/(‖y‖ ρ) ∈ [0, 1] is the group's
 * relative amplitude, quantized here to one of 2^bits levels.
 *
 * Why a Beta model: after a random Hadamard rotation the weights of a row are close to i.i.d.
 * Gaussian, and then U = ‖w_g‖²/‖w_row‖² ~ Beta(D/2, (n − D)/2) exactly (a ratio of χ² variables).
 * The coded amplitude r² = U cos²θ (θ: angle to the codeword) keeps that shape, so we fit
 * Beta(α, β) to the measured r² by moments (./beta.ts) rather than trusting D/2, (n − D)/2.
 *
 * The quantizer that minimises E[(R − R̂)²] for R = √U (the amplitude error is exactly the weight
 * error along the codeword: ‖w_g − ρ r̂ ŷ‖² = ‖w_g − ρ r ŷ‖² + ρ²(r − r̂)², since the residual of
 * the optimal gain is orthogonal to ŷ) is the Lloyd–Max quantizer of R. Its conditions are: each
 * threshold is the midpoint of its two levels, each level is the conditional mean of its cell. For R
 * both parts are closed forms in the regularized incomplete beta function:
 *   P(a < R ≤ b)    = I_{b²}(α, β) − I_{a²}(α, β)
 *   E[R; a < R ≤ b] = B(α + ½, β)/B(α, β) · (I_{b²}(α + ½, β) − I_{a²}(α + ½, β))
 * (substitute u = r²: ∫ √u u^{α−1}(1 − u)^{β−1} du is a Beta(α + ½, β) integral). The density of R,
 * ∝ r^{2α−1}(1 − r²)^{β−1}, is log-concave for α ≥ ½, β ≥ 1, and then the Lloyd iteration has a
 * single fixed point, the global optimum (Fleischer 1964; Trushkin 1982). We solve the conditions by
 * Newton's method on the thresholds, started from the high-resolution optimum.
 *
 * Baselines for comparison: uniform levels on [0, max r] and log-spaced levels on [min r, max r].
 * Not the pulse search and not the storage of the levels (they become f32 tensor data).
 */
import { ValueError } from '../../errors.js';
import { betaCdf, betaQuantile, fitBetaMoments, logBeta, type BetaParams } from './beta.js';

/** How amplitude levels are chosen. */
export type AmplitudeMethod = 'beta' | 'uniform' | 'log';

function checkBits(bits: number, what: string): void {
  if (!Number.isInteger(bits) || bits < 0 || bits > 12) throw new ValueError(`${what}: amplitude bits must be an integer in 0..12, got ${bits}`);
}

/**
 * The Lloyd–Max (minimum mean squared error) levels of R = √U for U ~ Beta(α, β), ascending, 2^bits
 * of them (bits = 0: the single level E[R]).
 * @example
 * betaAmplitudeLevels({ alpha: 8, beta: 2040 }, 2) // 4 levels around √(8/2048) ≈ 0.0625
 */
export function betaAmplitudeLevels(p: BetaParams, bits: number): Float64Array {
  checkBits(bits, 'betaAmplitudeLevels');
  const { alpha, beta } = p;
  if (!(alpha > 0) || !(beta > 0)) throw new ValueError(`betaAmplitudeLevels: parameters must be positive, got α = ${alpha}, β = ${beta}`);
  const L = 2 ** bits;
  // E[√U] = B(α + ½, β)/B(α, β)
  const halfMoment = Math.exp(logBeta(alpha + 0.5, beta) - logBeta(alpha, beta));
  const levels = new Float64Array(L);
  // Start from the high-resolution optimum (Panter–Dite: point density ∝ p_R^{1/3}). For R = √U that
  // density is again a √Beta one, with parameters ((α + 1)/3, (β + 2)/3), so its quantiles are exact.
  const a3 = (alpha + 1) / 3;
  const b3 = (beta + 2) / 3;
  for (let j = 0; j < L; j++) levels[j] = Math.sqrt(betaQuantile((j + 0.5) / L, a3, b3));
  if (L === 1) {
    levels[0] = halfMoment;
    return levels;
  }
  const lnB = logBeta(alpha, beta);
  // Density of R at r: 2r · p_U(r²).
  const dens = (r: number): number => (r <= 0 || r >= 1 ? 0 : 2 * Math.exp(Math.log(r) * (2 * alpha - 1) + Math.log1p(-r * r) * (beta - 1) - lnB));
  // Thresholds t_1..t_{L-1} (t_0 = 0, t_L = 1) are the unknowns; levels are the cell centroids.
  const t = new Float64Array(L + 1);
  t[L] = 1;
  for (let j = 1; j < L; j++) t[j] = 0.5 * (levels[j - 1] + levels[j]);
  const P = new Float64Array(L);
  const cdf = new Float64Array(L + 1);
  const cdfHalf = new Float64Array(L + 1);
  const centroids = (tt: Float64Array, out: Float64Array): boolean => {
    cdf[0] = 0;
    cdfHalf[0] = 0;
    cdf[L] = 1;
    cdfHalf[L] = 1;
    for (let j = 1; j < L; j++) {
      cdf[j] = betaCdf(tt[j] * tt[j], alpha, beta);
      cdfHalf[j] = betaCdf(tt[j] * tt[j], alpha + 0.5, beta);
    }
    for (let j = 0; j < L; j++) {
      P[j] = cdf[j + 1] - cdf[j];
      if (!(P[j] > 1e-300)) return false;
      out[j] = (halfMoment * (cdfHalf[j + 1] - cdfHalf[j])) / P[j];
    }
    return true;
  };
  // Residual F_j = t_j − (c_{j−1} + c_j)/2 of the midpoint condition, j = 1..L−1.
  const resid = (c: Float64Array, F: Float64Array): number => {
    let m = 0;
    for (let j = 1; j < L; j++) {
      F[j] = t[j] - 0.5 * (c[j - 1] + c[j]);
      m = Math.max(m, Math.abs(F[j]));
    }
    return m;
  };
  const c = new Float64Array(L);
  const F = new Float64Array(L);
  const tTry = new Float64Array(L + 1);
  const cTry = new Float64Array(L);
  const FTry = new Float64Array(L);
  const lo = new Float64Array(L);
  const di = new Float64Array(L);
  const up = new Float64Array(L);
  const dt = new Float64Array(L);
  if (!centroids(t, c)) {
    levels.sort();
    return levels;
  }
  let norm = resid(c, F);
  // Newton on F(t) = 0 (tridiagonal Jacobian: c_j moves with t_j and t_{j+1} only), damped by
  // halving until the residual drops and the thresholds stay ordered; Lloyd's plain iteration
  // converges only linearly and stalls for 64+ levels.
  for (let it = 0; it < 100 && norm > 1e-14; it++) {
    for (let j = 1; j < L; j++) {
      const pj = dens(t[j]);
      // ∂c_{j−1}/∂t_j (cell j−1's right edge) and ∂c_j/∂t_j (cell j's left edge)
      const dl = (pj * (t[j] - c[j - 1])) / P[j - 1];
      const dr = (pj * (c[j] - t[j])) / P[j];
      di[j] = 1 - 0.5 * (dl + dr);
      lo[j] = j > 1 ? -0.5 * ((dens(t[j - 1]) * (c[j - 1] - t[j - 1])) / P[j - 1]) : 0;
      up[j] = j < L - 1 ? -0.5 * ((dens(t[j + 1]) * (t[j + 1] - c[j])) / P[j]) : 0;
    }
    // Thomas algorithm for J dt = −F.
    for (let j = 1; j < L; j++) dt[j] = -F[j];
    for (let j = 2; j < L; j++) {
      const w = lo[j] / di[j - 1];
      di[j] -= w * up[j - 1];
      dt[j] -= w * dt[j - 1];
    }
    dt[L - 1] /= di[L - 1];
    for (let j = L - 2; j >= 1; j--) dt[j] = (dt[j] - up[j] * dt[j + 1]) / di[j];
    let step = 1;
    let ok = false;
    for (let h = 0; h < 40 && !ok; h++, step /= 2) {
      tTry[0] = 0;
      tTry[L] = 1;
      let ordered = true;
      for (let j = 1; j < L; j++) {
        tTry[j] = t[j] + step * dt[j];
        if (!(tTry[j] > tTry[j - 1]) || !(tTry[j] < 1)) ordered = false;
      }
      if (!ordered || !centroids(tTry, cTry)) continue;
      let m = 0;
      for (let j = 1; j < L; j++) {
        FTry[j] = tTry[j] - 0.5 * (cTry[j - 1] + cTry[j]);
        m = Math.max(m, Math.abs(FTry[j]));
      }
      if (m < norm) {
        t.set(tTry);
        c.set(cTry);
        F.set(FTry);
        norm = m;
        ok = true;
      }
    }
    if (!ok) break; // no descent at float resolution: converged as far as float64 allows
  }
  // Recompute P for the accepted thresholds (the last trial may have overwritten it).
  centroids(t, c);
  levels.set(c);
  return levels;
}

function range(r: ArrayLike<number>, what: string): { min: number; max: number } {
  if (r.length === 0) throw new ValueError(`${what}: no amplitudes`);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < r.length; i++) {
    const v = r[i];
    if (!(v >= 0) || !Number.isFinite(v)) throw new ValueError(`${what}: amplitude ${i} = ${v} is not a finite non-negative number`);
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  return { min, max };
}

/**
 * Levels for the relative amplitudes `r` (values in [0, 1]) by `method`:
 * - 'beta': fit Beta to r² by moments, then the Lloyd–Max levels of √Beta (the MSE-optimal choice);
 * - 'uniform': the centres of 2^bits equal cells of [0, max r];
 * - 'log': 2^bits levels spaced evenly in log between min r and max r (min clamped to max·1e-6).
 * Falls back to uniform when all amplitudes are equal or zero (no Beta has zero variance).
 * @example
 * amplitudeLevels(rs, 4, 'beta') // 16 ascending levels
 */
export function amplitudeLevels(r: ArrayLike<number>, bits: number, method: AmplitudeMethod = 'beta'): Float64Array {
  checkBits(bits, 'amplitudeLevels');
  const { min, max } = range(r, 'amplitudeLevels');
  const L = 2 ** bits;
  const out = new Float64Array(L);
  if (method === 'beta' && max > min && max <= 1) {
    const u = new Float64Array(r.length);
    for (let i = 0; i < r.length; i++) u[i] = r[i] * r[i];
    return betaAmplitudeLevels(fitBetaMoments(u), bits);
  }
  if (method === 'log' && max > 0) {
    const lo = Math.log(Math.max(min, max * 1e-6));
    const hi = Math.log(max);
    for (let j = 0; j < L; j++) out[j] = L === 1 ? Math.exp(0.5 * (lo + hi)) : Math.exp(lo + ((hi - lo) * j) / (L - 1));
    return out;
  }
  if (method !== 'beta' && method !== 'uniform' && method !== 'log') throw new ValueError(`amplitudeLevels: unknown method ${String(method)}`);
  for (let j = 0; j < L; j++) out[j] = (max * (j + 0.5)) / L;
  return out;
}

/**
 * Index of the level nearest to `v` in ascending `levels` (ties to the lower level): with midpoint
 * thresholds this is also the Lloyd–Max encoder.
 * @example
 * nearestLevel(Float64Array.of(0.1, 0.2, 0.4), 0.31) === 2
 */
export function nearestLevel(levels: ArrayLike<number>, v: number): number {
  let lo = 0;
  let hi = levels.length - 1;
  // binary search for the first level >= v, then compare with its left neighbour
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (levels[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && v - levels[lo - 1] <= levels[lo] - v) return lo - 1;
  return lo;
}

/**
 * Mean squared error Σ(r − level(r))²/n of quantizing `r` to the nearest of `levels`.
 * @example
 * amplitudeMse(rs, amplitudeLevels(rs, 3, 'beta'))
 */
export function amplitudeMse(r: ArrayLike<number>, levels: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < r.length; i++) s += (r[i] - levels[nearestLevel(levels, r[i])]) ** 2;
  return r.length ? s / r.length : 0;
}
