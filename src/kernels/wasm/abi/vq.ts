/** ABI of assembly/vq.ts: weighted nearest-centroid search (VQ k-means and encoding). */

/** Exports of the vq family. */
export interface VqExports {
  /**
   * points f32 (n, d); centroids f32 (d, k) transposed; weights f32 (period, d) or 0; scales f32 or 0
   * (point i uses scales[(first + i) / per]); codes i32 (n) and dist f32 (n) out; first: global index of point 0.
   */
  vq_nearest_f32(
    n: number, d: number, k: number, points: number, centroids: number, weights: number, period: number,
    scales: number, per: number, codes: number, dist: number, first: number,
  ): void;
}

/** Parameter count of every vq export. */
export const VQ_ARITY = {
  vq_nearest_f32: 12,
} as const satisfies Record<keyof VqExports, number>;
