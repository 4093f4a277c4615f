/**
 * Dense GEMM exports: C = alpha * A B + beta * C, f32 and f64.
 *
 *   a: T (m, k) at a with strides (rsa, csa)   (a transposed operand is just swapped strides)
 *   b: T (k, n) at b with strides (rsb, csb)
 *   c: T (m, n) at c with strides (rsc, csc), read only when beta != 0
 *   scratch: gemm_scratch_<T>(m, n, k) bytes, 16-byte aligned, for the packed panels
 *   accumulator: T (see inline/gemm-core.ts for the blocking and the micro-kernel)
 *
 * Strides are in elements and non-negative. Not the matrix-vector product: see gemv.ts.
 */
import { gemmCore, gemmScratchBytes } from './inline/gemm-core';

/** Scratch bytes gemm_f32 needs for an m x n x k product. */
export function gemm_scratch_f32(m: i32, n: i32, k: i32): usize {
  return gemmScratchBytes<f32>(m, n, k);
}

/** Scratch bytes gemm_f64 needs for an m x n x k product. */
export function gemm_scratch_f64(m: i32, n: i32, k: i32): usize {
  return gemmScratchBytes<f64>(m, n, k);
}

export function gemm_f32(
  m: i32,
  n: i32,
  k: i32,
  alpha: f32,
  a: usize,
  rsa: i32,
  csa: i32,
  b: usize,
  rsb: i32,
  csb: i32,
  beta: f32,
  c: usize,
  rsc: i32,
  csc: i32,
  scratch: usize,
): void {
  gemmCore<f32>(m, n, k, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc, scratch);
}

export function gemm_f64(
  m: i32,
  n: i32,
  k: i32,
  alpha: f64,
  a: usize,
  rsa: i32,
  csa: i32,
  b: usize,
  rsb: i32,
  csb: i32,
  beta: f64,
  c: usize,
  rsc: i32,
  csc: i32,
  scratch: usize,
): void {
  gemmCore<f64>(m, n, k, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc, scratch);
}
