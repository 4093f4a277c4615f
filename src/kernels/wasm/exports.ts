/**
 * The typed interface of the kernel module's exports (pointer-and-count ABI: pointers are byte
 * offsets into the shared memory, counts and strides are in elements). `WASM_EXPORT_ARITY` lists
 * every export with its parameter count; the loader and a test check the instance against it, so
 * an AS signature change that is not mirrored here fails loudly instead of misreading arguments.
 *
 * Not the kernels' TS signatures: those take `Ref`s and live in src/kernels/table.ts.
 */

/** Exports of build/quantensor.wasm. */
export interface WasmExports {
  /** First byte above the module's static data. */
  heap_base(): number;

  // assembly/gemm.ts: C = alpha A B + beta C; matrices as (ptr, row stride, col stride).
  gemm_scratch_f32(m: number, n: number, k: number): number;
  gemm_scratch_f64(m: number, n: number, k: number): number;
  gemm_f32(m: number, n: number, k: number, alpha: number, a: number, rsa: number, csa: number, b: number, rsb: number, csb: number, beta: number, c: number, rsc: number, csc: number, scratch: number): void;
  gemm_f64(m: number, n: number, k: number, alpha: number, a: number, rsa: number, csa: number, b: number, rsb: number, csb: number, beta: number, c: number, rsc: number, csc: number, scratch: number): void;

  // assembly/gemv.ts: y = alpha A x + beta y.
  gemv_f32(m: number, n: number, alpha: number, a: number, rsa: number, csa: number, x: number, incx: number, beta: number, y: number, incy: number): void;
  gemv_f64(m: number, n: number, alpha: number, a: number, rsa: number, csa: number, x: number, incx: number, beta: number, y: number, incy: number): void;

  // assembly/linalg.ts: bools are 0/1; cholesky and cholesky_inverse return the failing minor or 0.
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
  cholesky_inverse_f32(n: number, a: number, rsa: number, csa: number, w: number, rsw: number, csw: number, scratch: number): number;
  cholesky_inverse_f64(n: number, a: number, rsa: number, csa: number, w: number, rsw: number, csw: number, scratch: number): number;
}

/** Parameter count of every export (functions only; `memory` is the imported memory re-exported). */
export const WASM_EXPORT_ARITY = {
  heap_base: 0,
  gemm_scratch_f32: 3,
  gemm_scratch_f64: 3,
  gemm_f32: 15,
  gemm_f64: 15,
  gemv_f32: 11,
  gemv_f64: 11,
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
  cholesky_inverse_f32: 8,
  cholesky_inverse_f64: 8,
} as const satisfies Record<keyof WasmExports, number>;
