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
 *
 * Threads sharing one packed B (src/kernels/wasm/gemm.ts) run gemm_f32's loops from outside: for
 * each (NC column block, KC slice), gemm_pack_b_<T> over column ranges of the slice (NR-aligned),
 * then gemm_macro_<T> over row ranges of A and C, with beta for the first slice and 1 after. Same
 * micro-kernel steps per element as gemm_<T>, so the same results.
 */
import { KC, MR, NC, gemmCore, gemmScratchBytes, macroKernelIn, macroScratchBytes, nr, packB } from './inline/gemm-core';

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

/** Blocking of the GEMM engine: 0 KC (slice depth), 1 NC (columns per packed B block), 2 MR, 3 NR of f32, 4 NR of f64. */
export function gemm_block(which: i32): i32 {
  if (which == 0) return KC;
  if (which == 1) return NC;
  if (which == 2) return MR;
  return which == 3 ? nr<f32>() : nr<f64>();
}

/** Scratch bytes gemm_macro_f32 needs for m rows of depth k. */
export function gemm_macro_scratch_f32(m: i32, k: i32): usize {
  return macroScratchBytes<f32>(m, k);
}

/** Scratch bytes gemm_macro_f64 needs for m rows of depth k. */
export function gemm_macro_scratch_f64(m: i32, k: i32): usize {
  return macroScratchBytes<f64>(m, k);
}

/** Packs the kc x nc slice of B at b (strides rsb, csb) into NR-wide panels at dst (kc * roundUp(nc, NR) f32). */
export function gemm_pack_b_f32(kc: i32, nc: i32, b: usize, rsb: i32, csb: i32, dst: usize): void {
  packB<f32>(dst, b, <usize>rsb, <usize>csb, kc, nc);
}

/** Packs the kc x nc slice of B at b (strides rsb, csb) into NR-wide panels at dst (kc * roundUp(nc, NR) f64). */
export function gemm_pack_b_f64(kc: i32, nc: i32, b: usize, rsb: i32, csb: i32, dst: usize): void {
  packB<f64>(dst, b, <usize>rsb, <usize>csb, kc, nc);
}

/** C (m x nc) = alpha * A (m x kc) B + beta * C, the slice of B packed at pb by gemm_pack_b_f32; kc > 0. */
export function gemm_macro_f32(
  m: i32, nc: i32, kc: i32, alpha: f32, a: usize, rsa: i32, csa: i32, pb: usize, beta: f32, c: usize, rsc: i32, csc: i32, scratch: usize,
): void {
  macroKernelIn<f32>(m, nc, kc, alpha, a, <usize>rsa, <usize>csa, pb, beta, c, <usize>rsc, <usize>csc, scratch);
}

/** C (m x nc) = alpha * A (m x kc) B + beta * C, the slice of B packed at pb by gemm_pack_b_f64; kc > 0. */
export function gemm_macro_f64(
  m: i32, nc: i32, kc: i32, alpha: f64, a: usize, rsa: i32, csa: i32, pb: usize, beta: f64, c: usize, rsc: i32, csc: i32, scratch: usize,
): void {
  macroKernelIn<f64>(m, nc, kc, alpha, a, <usize>rsa, <usize>csa, pb, beta, c, <usize>rsc, <usize>csc, scratch);
}
