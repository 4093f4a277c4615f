/**
 * Reference weighted nearest-centroid search, the definition of `vq_nearest_f32` and the fallback
 * without WebAssembly SIMD. The hot loop of VQ k-means and encoding (src/quantizers/vq/).
 *
 *   points:    f32 (n, d) contiguous
 *   centroids: f32 (d, k) TRANSPOSED: coordinate t of centroid c at t·k + c (so SIMD reads 4 centroids)
 *   weights:   f32 (period, d): point i uses row (i mod period); absent: every weight 1
 *   scales:    f32 (ceil(n / per)): point i compares with centroids times scales[floor(i / per)]; absent: 1
 *   codes:     i32 (n) out: index of the nearest centroid, ties to the LOWER index
 *   dist:      f32 (n) out: its distance
 *
 * Distance of point x to centroid c, f32 step by step, t ascending (every result rounded to f32):
 *
 *   v = c_t · s;  e = x_t − v;  s_acc = s_acc + w_t · (e · e)
 *
 * (times 1 when weights or scales are absent, which is exact). The WASM kernel computes 4 centroids
 * per v128 with the same operations, in the same order and without fused multiply-add, so the two
 * agree bit for bit. Not k-means (src/quantizers/vq/kmeans.ts).
 */
import { view, type Ref } from '../ref.js';

/** Arguments of `vq_nearest_f32`. */
export interface VqNearestArgs {
  readonly n: number;
  readonly d: number;
  readonly k: number;
  readonly points: Ref;
  readonly centroids: Ref;
  readonly weights?: Ref;
  /** Rows of weights (>= 1; ignored without weights). */
  readonly period: number;
  readonly scales?: Ref;
  /** Points per scale (>= 1; ignored without scales). */
  readonly per: number;
  readonly codes: Ref;
  readonly dist: Ref;
}

/**
 * Nearest centroid of every point under the weighted distance (see the file header).
 * @example
 * // 2 points in 1-d, centroids 0 and 4: codes [0, 1], dist [1, 0]
 * vqNearestF32({ n: 2, d: 1, k: 2, points: refOf(Float32Array.of(1, 4)), centroids: refOf(Float32Array.of(0, 4)),
 *   period: 1, per: 1, codes: refOf(new Int32Array(2)), dist: refOf(new Float32Array(2)) });
 */
export function vqNearestF32(g: VqNearestArgs): void {
  const { n, d, k } = g;
  const x = view(g.points, Float32Array);
  const c = view(g.centroids, Float32Array);
  const w = g.weights ? view(g.weights, Float32Array) : null;
  const sc = g.scales ? view(g.scales, Float32Array) : null;
  const codes = view(g.codes, Int32Array);
  const dist = view(g.dist, Float32Array);
  const xo = g.points.offset;
  const co = g.centroids.offset;
  const wo = g.weights?.offset ?? 0;
  const so = g.scales?.offset ?? 0;
  const f = Math.fround;
  for (let i = 0; i < n; i++) {
    const x0 = xo + i * d;
    const w0 = wo + (i % g.period) * d;
    const s = sc ? sc[so + Math.floor(i / g.per)] : 1;
    let best = 0;
    let bestDist = Infinity;
    for (let j = 0; j < k; j++) {
      let acc = 0;
      for (let t = 0; t < d; t++) {
        const v = f(c[co + t * k + j] * s);
        const e = f(x[x0 + t] - v);
        acc = f(acc + f((w ? w[w0 + t] : 1) * f(e * e)));
      }
      if (acc < bestDist) {
        bestDist = acc;
        best = j;
      }
    }
    codes[g.codes.offset + i] = best;
    dist[g.dist.offset + i] = bestDist;
  }
}
