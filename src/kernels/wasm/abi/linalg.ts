/** ABI of assembly/linalg.ts: bools are 0/1; cholesky and cholesky_inverse return the failing minor or 0. */

/** Exports of the linalg family. */
export interface LinalgExports {
  linalg_scratch_f32(n: number): number;
  linalg_scratch_f64(n: number): number;
  cholesky_f32(n: number, a: number, rsa: number, csa: number, upper: number, scratch: number): number;
  cholesky_f64(n: number, a: number, rsa: number, csa: number, upper: number, scratch: number): number;
  trsm_f32(right: number, upper: number, trans: number, unit: number, m: number, n: number, alpha: number, t: number, rst: number, cst: number, b: number, rsb: number, csb: number, scratch: number): void;
  trsm_f64(right: number, upper: number, trans: number, unit: number, m: number, n: number, alpha: number, t: number, rst: number, cst: number, b: number, rsb: number, csb: number, scratch: number): void;
  tri_inv_f32(n: number, t: number, rst: number, cst: number, upper: number, unit: number, x: number, rsx: number, csx: number, scratch: number): void;
  tri_inv_f64(n: number, t: number, rst: number, cst: number, upper: number, unit: number, x: number, rsx: number, csx: number, scratch: number): void;
  syrk_f32(n: number, k: number, alpha: number, a: number, rsa: number, csa: number, beta: number, c: number, rsc: number, csc: number, scratch: number): void;
  syrk_f64(n: number, k: number, alpha: number, a: number, rsa: number, csa: number, beta: number, c: number, rsc: number, csc: number, scratch: number): void;
  /** Rows [r0, r1) of syrk's lower triangle, then (mirror = 1) their strict part copied above the diagonal. */
  syrk_rows_f32(n: number, k: number, r0: number, r1: number, alpha: number, a: number, rsa: number, csa: number, beta: number, c: number, rsc: number, csc: number, mirror: number, scratch: number): void;
  syrk_rows_f64(n: number, k: number, r0: number, r1: number, alpha: number, a: number, rsa: number, csa: number, beta: number, c: number, rsc: number, csc: number, mirror: number, scratch: number): void;
  cholesky_inverse_f32(n: number, a: number, rsa: number, csa: number, w: number, rsw: number, csw: number, scratch: number): number;
  cholesky_inverse_f64(n: number, a: number, rsa: number, csa: number, w: number, rsw: number, csw: number, scratch: number): number;
}

/** Parameter count of every linalg export. */
export const LINALG_ARITY = {
  linalg_scratch_f32: 1,
  linalg_scratch_f64: 1,
  cholesky_f32: 6,
  cholesky_f64: 6,
  trsm_f32: 14,
  trsm_f64: 14,
  tri_inv_f32: 10,
  tri_inv_f64: 10,
  syrk_f32: 11,
  syrk_f64: 11,
  syrk_rows_f32: 14,
  syrk_rows_f64: 14,
  cholesky_inverse_f32: 8,
  cholesky_inverse_f64: 8,
} as const satisfies Record<keyof LinalgExports, number>;
