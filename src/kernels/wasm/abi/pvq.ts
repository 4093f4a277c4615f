/** ABI of assembly/pvq.ts: PVQ decode-on-the-fly matmul and dequantize (indices of at most 64 bits). */

/** Exports of the pvq family. */
export interface PvqExports {
  /** out f32 (m, ·) row stride outStride: out[t, r] for rows [0, rows); table u64 (dim+1, pulses+1); scratch 8·dim + 16·ceil(dim/4) + 8·(pulses²+1) bytes (per thread). */
  pvq_matmul_f32(
    rows: number, cols: number, dim: number, pulses: number, ampBits: number, indexBits: number,
    codes: number, rowBytes: number, scales: number, levels: number, table: number,
    m: number, x: number, out: number, outStride: number, scratch: number,
  ): void;
  /** out f32 (rows, cols). */
  pvq_dequant_f32(
    rows: number, cols: number, dim: number, pulses: number, ampBits: number, indexBits: number,
    codes: number, rowBytes: number, scales: number, levels: number, table: number,
    out: number, scratch: number,
  ): void;
}

/** Parameter count of every pvq export. */
export const PVQ_ARITY = {
  pvq_matmul_f32: 16,
  pvq_dequant_f32: 13,
} as const satisfies Record<keyof PvqExports, number>;
