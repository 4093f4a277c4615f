/**
 * Seeded, deterministic weighted k-means (Lloyd's algorithm) with k-means++ initialisation
 * (Arthur & Vassilvitskii 2007), over points of dimension d with diagonal weights (./assign.ts).
 * This is how a VQ codebook is learned for one group of weight columns (GPTVQ, van Baalen et al.
 * 2024, §3: "Hessian-weighted k-means"; there the initialisation defaults to a Mahalanobis
 * heuristic, here k-means++ as the issue asks).
 *
 * - Init: the first centroid is a uniformly drawn point; each next one is a point drawn with
 *   probability proportional to its weighted distance to the nearest centroid chosen so far (D²
 *   sampling). When every point already coincides with a centroid (fewer distinct points than k),
 *   the remaining centroids repeat the first one; those clusters start empty (see below).
 * - E-step: nearest centroid under the weighted distance (ties to the lower index) by the f32
 *   `vq_nearest_f32` kernel (./assign.ts); a point keeps its previous centroid unless the new one is
 *   strictly closer in f64, so the objective (computed in f64) cannot rise through f32 rounding.
 * - M-step: per cluster and per dimension t, the weighted mean Σ w_t x_t / Σ w_t, which minimises
 *   Σ w_t (x_t − c_t)² exactly; a dimension whose weights in the cluster sum to 0 keeps its value.
 * - Empty clusters are re-seeded after the M-step: in index order, each takes the point that is
 *   farthest from its own centroid in the last E-step (ties: lower point index; a point is taken at
 *   most once per iteration). A point at distance 0 is never taken, so a cluster stays empty only
 *   when every point is already exact. Moving a centroid that owns no points leaves the objective of
 *   the current assignment unchanged, and the next E-step can only lower it: the objective recorded
 *   at each E-step never increases (up to floating-point rounding of the sums).
 * - Stops after `iters` E-steps or when an E-step changes no assignment; the returned codes are the
 *   nearest centroids of the returned centroids up to f32 rounding (the last step is an E-step).
 *
 * Centroids, means and the objective are f64, and the only randomness is the seeded Rng of src/ops/random.ts, so the result is
 * a function of (points, weights, k, iters, seed). Not the rounding of the codebook to its storage
 * dtype (./codebook.ts) and not error feedback (./vq.ts).
 */
import { ValueError, checkOptions, withOp } from '../../errors.js';
import { Rng } from '../../ops/random.js';
import { checkPoints, nearestCentroids, type WeightedPoints } from './assign.js';

/** Options of `kmeans`. */
export interface KMeansOptions {
  /** Number of centroids (>= 1). */
  readonly k: number;
  /** Maximum number of E-steps (default 25). */
  readonly iters?: number;
  /** Seed of the k-means++ draws (default 0). */
  readonly seed?: number;
  /** Initial centroids [k, d] instead of k-means++ (a warm start; copied, not modified). */
  readonly init?: Float64Array;
}

/** Result of `kmeans`. */
export interface KMeansResult {
  /** Centroids [k, d], row-major, f64. */
  readonly centroids: Float64Array;
  /** Index of the nearest centroid of every point [n]. */
  readonly codes: Int32Array;
  /** Objective Σ dist(x_i, c_{codes[i]}) in f64 after each E-step, first to last (non-increasing). */
  readonly objective: number[];
  /** Number of E-steps run. */
  readonly iterations: number;
  /** How many times an empty cluster was re-seeded, over all iterations. */
  readonly reseeded: number;
}

/**
 * k-means++ initial centroids [k, d] drawn with `rng` (D² sampling under the weighted distance).
 * @example
 * const c = kmeansPlusPlus({ points, n, d: 2, weights: null }, 16, new Rng(0)); // Float64Array(32)
 */
export function kmeansPlusPlus(p: WeightedPoints, k: number, rng: Rng): Float64Array {
  const { points, n, d } = p;
  const cent = new Float64Array(k * d);
  const first = rng.nextInt(n);
  for (let t = 0; t < d; t++) cent[t] = points[first * d + t];
  const nearest = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) total += nearest[i] = pointDist(p, i, cent, 0);
  for (let c = 1; c < k; c++) {
    let pick = first;
    if (total > 0) {
      // Inverse CDF of the D² distribution; the last positive point guards against rounding.
      let u = rng.nextF64() * total;
      pick = -1;
      for (let i = 0; i < n; i++) {
        if (nearest[i] <= 0) continue;
        pick = i;
        u -= nearest[i];
        if (u < 0) break;
      }
    }
    for (let t = 0; t < d; t++) cent[c * d + t] = points[pick * d + t];
    if (total > 0) {
      // Inline pointDist (this loop is O(n·k·d), the cost of the init).
      const w = p.weights;
      const period = w ? w.length / d : 1;
      total = 0;
      for (let i = 0, wRow = 0; i < n; i++) {
        let e = 0;
        for (let t = 0; t < d; t++) {
          const x = points[i * d + t] - cent[c * d + t];
          e += (w ? w[wRow * d + t] : 1) * x * x;
        }
        if (e < nearest[i]) nearest[i] = e;
        total += nearest[i];
        if (++wRow === period) wRow = 0;
      }
    }
  }
  return cent;
}

/**
 * Weighted distance Σ_t w_t (x_t − c_t)² of point i to centroid c, in f64.
 * @example
 * pointDist({ points: Float64Array.of(1, 2), n: 1, d: 2, weights: null }, 0, Float64Array.of(0, 0), 0); // 5
 */
export function pointDist(p: WeightedPoints, i: number, cent: Float64Array, c: number): number {
  const { points, d, weights } = p;
  const w0 = weights ? (i % (weights.length / d)) * d : 0;
  let s = 0;
  for (let t = 0; t < d; t++) {
    const e = points[i * d + t] - cent[c * d + t];
    s += (weights ? weights[w0 + t] : 1) * e * e;
  }
  return s;
}

/**
 * Weighted k-means: k-means++ init, then Lloyd iterations with empty-cluster re-seeding.
 * @throws ValueError for no points, a bad k or iters, or bad weights (see assign.ts)
 * @example
 * const { centroids, codes, objective } = kmeans({ points, n: 1000, d: 2, weights: null }, { k: 16, seed: 1 });
 * objective.at(-1)! <= objective[0]; // true
 */
export function kmeans(p: WeightedPoints, opts: KMeansOptions): KMeansResult {
  withOp('kmeans', () => checkPoints(p));
  checkOptions('kmeans', opts, 'required');
  const { points, n, d, weights } = p;
  const { k } = opts;
  const iters = opts.iters ?? 25;
  if (n < 1) throw new ValueError('k-means needs at least one point');
  if (!Number.isInteger(k) || k < 1) throw new ValueError(`k must be a positive integer, got ${k}`);
  if (!Number.isInteger(iters) || iters < 1) throw new ValueError(`iters must be a positive integer, got ${iters}`);
  if (opts.init !== undefined && opts.init.length !== k * d) throw new ValueError(`init must hold ${k} centroids of dimension ${d} (${k * d} values), got ${opts.init.length}`);
  const cent = opts.init ? Float64Array.from(opts.init) : kmeansPlusPlus(p, k, new Rng(opts.seed ?? 0));
  const codes = new Int32Array(n);
  const prev = new Int32Array(n);
  const dist = new Float64Array(n);
  const num = new Float64Array(k * d);
  const den = new Float64Array(k * d);
  const count = new Int32Array(k);
  const taken = new Uint8Array(n);
  const period = weights ? weights.length / d : 1;
  const objective: number[] = [];
  let reseeded = 0;
  let it = 0;
  for (;;) {
    nearestCentroids(p, cent, k, codes);
    // The search is f32 (assign.ts): keep the previous centroid unless the new one is strictly
    // closer in f64, so the f64 objective below never increases.
    let total = 0;
    for (let i = 0; i < n; i++) {
      let e = pointDist(p, i, cent, codes[i]);
      if (it > 0 && codes[i] !== prev[i]) {
        const old = pointDist(p, i, cent, prev[i]);
        if (!(e < old)) {
          codes[i] = prev[i];
          e = old;
        }
      }
      dist[i] = e;
      total += e;
    }
    objective.push(total);
    it++;
    let changed = it === 1;
    for (let i = 0; i < n && !changed; i++) changed = codes[i] !== prev[i];
    if (!changed || it >= iters) break;
    prev.set(codes);
    // M-step: weighted mean per cluster and dimension.
    num.fill(0);
    den.fill(0);
    count.fill(0);
    for (let i = 0, wRow = 0; i < n; i++) {
      const c0 = codes[i] * d;
      count[codes[i]]++;
      for (let t = 0; t < d; t++) {
        const w = weights ? weights[wRow * d + t] : 1;
        num[c0 + t] += w * points[i * d + t];
        den[c0 + t] += w;
      }
      if (++wRow === period) wRow = 0;
    }
    for (let j = 0; j < k * d; j++) if (den[j] > 0) cent[j] = num[j] / den[j];
    // Re-seed empty clusters at the points worst served by the last assignment.
    taken.fill(0);
    for (let c = 0; c < k; c++) {
      if (count[c] > 0) continue;
      let far = -1;
      for (let i = 0; i < n; i++) if (!taken[i] && dist[i] > 0 && (far < 0 || dist[i] > dist[far])) far = i;
      if (far < 0) break;
      taken[far] = 1;
      for (let t = 0; t < d; t++) cent[c * d + t] = points[far * d + t];
      reseeded++;
    }
  }
  return { centroids: cent, codes, objective, iterations: it, reseeded };
}
