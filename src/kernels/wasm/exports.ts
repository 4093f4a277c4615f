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
} as const satisfies Record<keyof WasmExports, number>;
