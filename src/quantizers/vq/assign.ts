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
 * Brute force over all centroids (k ≤ 256, d ≤ 8 here: at most 2048 multiply-adds per point), by the
 * `vq_nearest_f32` kernel. Not k-means itself (./kmeans.ts).
 */
import { ValueError, describeValue, isPlainObject } from '../../errors.js';
import { kernel } from '../../kernels/table.js';
import type { Ref } from '../../kernels/ref.js';
import { Storage } from '../../memory/storage.js';

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
  if (!isPlainObject(p)) throw new ValueError(`points must be an object { points, n, d, weights }, got ${describeValue(p)}`);
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

/** Options of `nearestCentroids`. */
export interface NearestOptions {
  /** Out: the distance of each point to its centroid (f32 values). */
  readonly dist?: Float64Array;
  /** Point i compares with the centroids times scales[floor(i / per)] (f32 products, as dequantize). */
  readonly scales?: Float32Array;
  readonly per?: number;
}

/**
 * Assigns every point to its nearest centroid under the weighted distance, writing the index to
 * `codes[i]` (ties: lower index). The search is the `vq_nearest_f32` kernel (src/kernels/js/vq.ts
 * defines it; WASM SIMD when available): points, centroids and weights are rounded to f32 and each
 * distance is accumulated in f32, so between two centroids closer than f32 rounding the choice may
 * differ from the exact f64 one. Returns Σ dist.
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
  codes: Int32Array,
  opts: NearestOptions = {},
): number {
  const { points, n, d } = p;
  if (centroids.length !== k * d || k < 1) throw new ValueError(`${k} centroids of dimension ${d} need ${k * d} values, got ${centroids.length}`);
  if (codes.length < n) throw new ValueError(`codes has room for ${codes.length} points, need ${n}`);
  if (n === 0) return 0;
  // The kernel reads centroids transposed, (d, k), so SIMD lanes hold 4 centroids.
  const ct = new Float32Array(k * d);
  for (let c = 0; c < k; c++) for (let t = 0; t < d; t++) ct[t * k + c] = centroids[c * d + t];
  const codesOut = new Int32Array(n);
  const distOut = new Float32Array(n);
  const refs = { codes: jsRef(codesOut), dist: jsRef(distOut) };
  kernel('vq_nearest_f32')({
    n,
    d,
    k,
    points: jsRef(Float32Array.from(points.subarray(0, n * d))),
    centroids: jsRef(ct),
    ...(p.weights ? { weights: jsRef(Float32Array.from(p.weights)) } : {}),
    period: p.weights ? p.weights.length / d : 1,
    ...(opts.scales ? { scales: jsRef(opts.scales) } : {}),
    per: opts.per ?? 1,
    ...refs,
  });
  // Marshal copies results back into the refs' storages (their own buffers), so read those.
  const cv = refs.codes.storage.view(Int32Array);
  const dv = refs.dist.storage.view(Float32Array);
  let total = 0;
  for (let i = 0; i < n; i++) {
    codes[i] = cv[i];
    if (opts.dist) opts.dist[i] = dv[i];
    total += dv[i];
  }
  return total;
}

/** A kernel operand over a copy of `a` in plain JS memory (the WASM wrapper copies it in and out). */
function jsRef(a: Float32Array | Int32Array): Ref {
  return { storage: Storage.from(a, { heap: null }), offset: 0 };
}

/**
 * The k-means objective Σ_i dist(x_i, c_{codes[i]}) for given assignments (not necessarily nearest).
 * @example
 * weightedObjective({ points: Float64Array.of(1, 3), n: 2, d: 1, weights: null }, Float64Array.of(2), Int32Array.of(0, 0)); // 2
 */
export function weightedObjective(p: WeightedPoints, centroids: Float64Array, codes: Int32Array): number {
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
