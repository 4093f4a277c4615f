/** ABI of assembly/vq.ts: weighted nearest-centroid search (VQ k-means and encoding) and the LUT matmul. */

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
  /** lut f32 (ceil(cols / d), e) out: one token's table; x f32 (cols); bookT f32 (d, e) the transposed codebook. */
  vq_lut_f32(cols: number, d: number, e: number, x: number, bookT: number, lut: number): void;
  /**
   * y[r] for r in [r0, r1) of one token from its lut; codes u8 (rows, rowBytes); scales f32 row r at
   * r · scaleStride, or 0 (all 1); vpg vector positions per group; state: scratch of 2 · 128 f32 (one per range).
   */
  vq_gather_f32(
    bits: number, nk: number, codes: number, rowBytes: number, scales: number, scaleStride: number, vpg: number,
    nGroups: number, lut: number, y: number, r0: number, r1: number, state: number,
  ): void;
}

/** Parameter count of every vq export. */
export const VQ_ARITY = {
  vq_nearest_f32: 12,
  vq_lut_f32: 6,
  vq_gather_f32: 13,
} as const satisfies Record<keyof VqExports, number>;
