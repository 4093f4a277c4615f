/**
 * Weighted nearest-centroid search: the assignment (E) step of k-means and the encoder of vector
 * quantization. A point x of dimension d goes to the centroid c minimising the diagonally weighted
 * squared distance
 *
 *   dist(x, c) = Σ_t w_t (x_t − c_t)²
 *
 * with ties to the lower index (so the result is a pure function of the inputs). With GPTQ error
 * feedback the weights are w_t = 1 / U_tt², U the upper Cholesky factor of H⁻¹: (x_t − q_t)² / U_tt²
 * is exactly the loss GPTQ charges for column t (Frantar et al. 2022, eq. 2/3 with [H_F⁻¹]_tt = U_tt²),
 * so the diagonal weighting is that loss without the cross terms inside one vector. See ./vq.ts.
 *
 * Brute force over all centroids (k ≤ 256, d ≤ 8 here: at most 2048 multiply-adds per point). Not
 * k-means itself (./kmeans.ts).
 */
import { ValueError } from '../../errors.js';

/** Points, centroids and weights of a weighted nearest-centroid search. */
export interface WeightedPoints {
  /** n points of dimension d, row-major [n, d]. */
  readonly points: Float64Array;
  readonly n: number;
  readonly d: number;
  /**
   * Weights, a multiple of d long: point i uses the weight vector (i mod p), p = weights.length / d,
   * so one vector [d] weights every point alike and [n·d] weights each point separately; in between,
   * [p·d] weights points by their position in a row of p vectors (a column group of a weight matrix).
   * null: every weight 1. Weights must be finite and >= 0.
   */
  readonly weights: Float64Array | null;
}

/**
 * Checks the geometry of a point set and its weights.
 * @throws ValueError for a bad dimension, a points array of the wrong length, or bad weights
 * @example
 * checkPoints({ points: new Float64Array(6), n: 3, d: 2, weights: null });
 */
export function checkPoints(p: WeightedPoints): void {
  if (!Number.isInteger(p.d) || p.d < 1) throw new ValueError(`vector dimension must be a positive integer, got ${p.d}`);
  if (!Number.isInteger(p.n) || p.n < 0 || p.points.length !== p.n * p.d) {
    throw new ValueError(`${p.n} points of dimension ${p.d} need ${p.n * p.d} values, got ${p.points.length}`);
  }
  const w = p.weights;
  if (w) {
    if (w.length === 0 || w.length % p.d !== 0) throw new ValueError(`weights must be a non-empty multiple of d = ${p.d} long, got ${w.length}`);
    for (let i = 0; i < w.length; i++) {
      if (!(w[i] >= 0) || !Number.isFinite(w[i])) throw new ValueError(`weight ${w[i]} at [${i}] is not finite and >= 0`);
    }
  }
}

/**
 * Assigns every point to its nearest centroid under the weighted distance (ties: lower index),
 * writing the index to `codes[i]` and, when given, the distance to `dist[i]`. Returns Σ dist.
 * @param centroids k centroids [k, d], row-major
 * @example
 * const codes = new Int32Array(3);
 * nearestCentroids({ points: Float64Array.of(0, 0, 1, 1, 5, 5), n: 3, d: 2, weights: null },
 *   Float64Array.of(0, 0, 4, 4), 2, codes); // codes = [0, 0, 1], returns 0 + 2 + 2
 */
export function nearestCentroids(
  p: WeightedPoints,
  centroids: Float64Array,
  k: number,
  codes: Int32Array | Uint8Array,
  dist?: Float64Array,
): number {
  const { points, n, d } = p;
  if (centroids.length !== k * d || k < 1) throw new ValueError(`${k} centroids of dimension ${d} need ${k * d} values, got ${centroids.length}`);
  if (codes.length < n) throw new ValueError(`codes has room for ${codes.length} points, need ${n}`);
  // Missing weights become ones, so one monomorphic loop serves both cases (the hot loop of k-means).
  const weights = p.weights ?? ones(d);
  const period = weights.length / d;
  let total = 0;
  for (let i = 0, wRow = 0; i < n; i++) {
    const x0 = i * d;
    const w0 = wRow * d;
    let best = 0;
    let bestDist = Infinity;
    if (d === 2) {
      const xa = points[x0], xb = points[x0 + 1];
      const wa = weights[w0], wb = weights[w0 + 1];
      for (let c = 0, c0 = 0; c < k; c++, c0 += 2) {
        const ea = xa - centroids[c0];
        const eb = xb - centroids[c0 + 1];
        const s = wa * ea * ea + wb * eb * eb;
        if (s < bestDist) {
          bestDist = s;
          best = c;
        }
      }
    } else if (d === 4) {
      const xa = points[x0], xb = points[x0 + 1], xc = points[x0 + 2], xd = points[x0 + 3];
      const wa = weights[w0], wb = weights[w0 + 1], wc = weights[w0 + 2], wd = weights[w0 + 3];
      for (let c = 0, c0 = 0; c < k; c++, c0 += 4) {
        const ea = xa - centroids[c0];
        const eb = xb - centroids[c0 + 1];
        const ec = xc - centroids[c0 + 2];
        const ed = xd - centroids[c0 + 3];
        const s = wa * ea * ea + wb * eb * eb + wc * ec * ec + wd * ed * ed;
        if (s < bestDist) {
          bestDist = s;
          best = c;
        }
      }
    } else {
      for (let c = 0, c0 = 0; c < k; c++, c0 += d) {
        let s = 0;
        // Partial distances only grow: stop as soon as this centroid cannot win.
        for (let t = 0; t < d && s < bestDist; t++) {
          const e = points[x0 + t] - centroids[c0 + t];
          s += weights[w0 + t] * e * e;
        }
        if (s < bestDist) {
          bestDist = s;
          best = c;
        }
      }
    }
    codes[i] = best;
    if (dist) dist[i] = bestDist;
    total += bestDist;
    if (++wRow === period) wRow = 0;
  }
  return total;
}

const onesCache = new Map<number, Float64Array>();
function ones(d: number): Float64Array {
  let o = onesCache.get(d);
  if (!o) onesCache.set(d, (o = new Float64Array(d).fill(1)));
  return o;
}

/**
 * The k-means objective Σ_i dist(x_i, c_{codes[i]}) for given assignments (not necessarily nearest).
 * @example
 * weightedObjective({ points: Float64Array.of(1, 3), n: 2, d: 1, weights: null }, Float64Array.of(2), Int32Array.of(0, 0)); // 2
 */
export function weightedObjective(p: WeightedPoints, centroids: Float64Array, codes: Int32Array | Uint8Array): number {
  const { points, n, d, weights } = p;
  const period = weights ? weights.length / d : 1;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const x0 = i * d;
    const c0 = codes[i] * d;
    const w0 = (i % period) * d;
    for (let t = 0; t < d; t++) {
      const e = points[x0 + t] - centroids[c0 + t];
      total += (weights ? weights[w0 + t] : 1) * e * e;
    }
  }
  return total;
}
