/**
 * ABI of assembly/quant.ts: packed-weight dequantize, GEMV/GEMM with f32 activations and the
 * int8-activation product, for every quantized dtype. Pointers are byte offsets; the weight is
 * described by (kind, bits, k, codes, rowBytes, scales, scaleStride, zeros, groupSize, nGroups,
 * table, vectorDim) with 0 for an absent pointer; rows [r0, r1) only; scratch from qmatmul_scratch.
 * The GEMV kernels read tokens prepared once per call (qprep_f32 / qprep_i8) so that the row ranges
 * of several threads do not each redo that work.
 */

/** Exports of the quant family. */
export interface QuantExports {
  /**
   * Scratch bytes: mode 0 qgemv_f32, 1 qgemm_f32, 2 qgemv_i8, 3 qdequant_f32 (per row range);
   * 4 qprep_f32, 5 qprep_i8, 6 qprep_gemm_f32 (the prepared tokens, one per kernel call).
   */
  qmatmul_scratch(mode: number, m: number, k: number, groupSize: number, nGroups: number): number;
  /** Prepares the tokens of qgemv_f32 (kernel layout, group sums) once per call into prep. */
  qprep_f32(kind: number, bits: number, k: number, codes: number, rowBytes: number, scales: number, scaleStride: number, zeros: number, groupSize: number, nGroups: number, table: number, vectorDim: number, m: number, x: number, rsx: number, prep: number): void;
  /** Quantizes the tokens of qgemv_i8 to int8 blocks once per call into prep. */
  qprep_i8(kind: number, bits: number, k: number, codes: number, rowBytes: number, scales: number, scaleStride: number, zeros: number, groupSize: number, nGroups: number, table: number, vectorDim: number, m: number, x: number, rsx: number, prep: number): void;
  qdequant_f32(kind: number, bits: number, k: number, codes: number, rowBytes: number, scales: number, scaleStride: number, zeros: number, groupSize: number, nGroups: number, table: number, vectorDim: number, out: number, r0: number, r1: number, scratch: number): void;
  qgemv_f32(kind: number, bits: number, k: number, codes: number, rowBytes: number, scales: number, scaleStride: number, zeros: number, groupSize: number, nGroups: number, table: number, vectorDim: number, m: number, x: number, rsx: number, y: number, rsy: number, r0: number, r1: number, scratch: number, prep: number): void;
  /** Packs the tokens of qgemm_f32 (gemm-core A panels per depth slice) once per call into prep. */
  qprep_gemm_f32(m: number, k: number, x: number, rsx: number, prep: number): void;
  qgemm_f32(kind: number, bits: number, k: number, codes: number, rowBytes: number, scales: number, scaleStride: number, zeros: number, groupSize: number, nGroups: number, table: number, vectorDim: number, m: number, y: number, rsy: number, r0: number, r1: number, scratch: number, prep: number): void;
  qgemv_i8(kind: number, bits: number, k: number, codes: number, rowBytes: number, scales: number, scaleStride: number, zeros: number, groupSize: number, nGroups: number, table: number, vectorDim: number, m: number, y: number, rsy: number, r0: number, r1: number, scratch: number, prep: number): void;
}

/** Parameter count of every quant export. */
export const QUANT_ARITY = {
  qmatmul_scratch: 5,
  qprep_f32: 16,
  qprep_i8: 16,
  qdequant_f32: 16,
  qgemv_f32: 21,
  qprep_gemm_f32: 5,
  qgemm_f32: 19,
  qgemv_i8: 19,
} as const satisfies Record<keyof QuantExports, number>;
