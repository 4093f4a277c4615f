/** ABI of assembly/gemm.ts: C = alpha A B + beta C; assembly/gemv.ts: y = alpha A x + beta y. Matrices as (ptr, row stride, col stride). */

/** Exports of the gemm family. */
export interface GemmExports {
  gemm_scratch_f32(m: number, n: number, k: number): number;
  gemm_scratch_f64(m: number, n: number, k: number): number;
  gemm_f32(m: number, n: number, k: number, alpha: number, a: number, rsa: number, csa: number, b: number, rsb: number, csb: number, beta: number, c: number, rsc: number, csc: number, scratch: number): void;
  gemm_f64(m: number, n: number, k: number, alpha: number, a: number, rsa: number, csa: number, b: number, rsb: number, csb: number, beta: number, c: number, rsc: number, csc: number, scratch: number): void;
  gemm_block(which: number): number;
  gemm_macro_scratch_f32(m: number, k: number): number;
  gemm_macro_scratch_f64(m: number, k: number): number;
  gemm_pack_b_f32(kc: number, nc: number, b: number, rsb: number, csb: number, dst: number): void;
  gemm_pack_b_f64(kc: number, nc: number, b: number, rsb: number, csb: number, dst: number): void;
  gemm_macro_f32(m: number, nc: number, kc: number, alpha: number, a: number, rsa: number, csa: number, pb: number, beta: number, c: number, rsc: number, csc: number, scratch: number): void;
  gemm_macro_f64(m: number, nc: number, kc: number, alpha: number, a: number, rsa: number, csa: number, pb: number, beta: number, c: number, rsc: number, csc: number, scratch: number): void;
  gemv_f32(m: number, n: number, alpha: number, a: number, rsa: number, csa: number, x: number, incx: number, beta: number, y: number, incy: number): void;
  gemv_f64(m: number, n: number, alpha: number, a: number, rsa: number, csa: number, x: number, incx: number, beta: number, y: number, incy: number): void;
}

/** Parameter count of every gemm export. */
export const GEMM_ARITY = {
  gemm_scratch_f32: 3,
  gemm_scratch_f64: 3,
  gemm_f32: 15,
  gemm_f64: 15,
  gemm_block: 1,
  gemm_macro_scratch_f32: 2,
  gemm_macro_scratch_f64: 2,
  gemm_pack_b_f32: 6,
  gemm_pack_b_f64: 6,
  gemm_macro_f32: 13,
  gemm_macro_f64: 13,
  gemv_f32: 11,
  gemv_f64: 11,
} as const satisfies Record<keyof GemmExports, number>;
