/**
 * Linear algebra exports, f32 and f64 (the Hessian math of GPTQ):
 *
 *   cholesky_T(n, a, rsa, csa, upper, scratch) -> info
 *       a: T (n, n). Factors the triangle named by `upper` (A = L L^T, or A = U^T U) in place and
 *       writes zeros over the other strict triangle. info = 0, or the 1-based order of the first
 *       leading minor that is not positive definite (the matrix is then partly overwritten).
 *   trsm_T(right, upper, trans, unit, m, n, alpha, t, rst, cst, b, rsb, csb, scratch)
 *       b: T (m, n) is overwritten by X solving op(T) X = alpha B (left; T m x m) or
 *       X op(T) = alpha B (right; T n x n), op(T) = T or T^T, T lower or upper, unit diagonal or not.
 *   tri_inv_T(n, t, rst, cst, upper, unit, x, rsx, csx, scratch)
 *       x: T (n, n) = T^-1 (zeros in the other triangle). x must not overlap t.
 *   syrk_T(n, k, alpha, a, rsa, csa, beta, c, rsc, csc, scratch)
 *       c: T (n, n) = alpha A A^T + beta C, A n x k (pass strides swapped for A^T A, e.g. the
 *       Hessian X^T X of X (tokens, features)). Reads C's lower triangle, computes the lower
 *       triangle only and mirrors it: C is symmetric on return.
 *   syrk_rows_T(n, k, r0, r1, alpha, a, rsa, csa, beta, c, rsc, csc, mirror, scratch)
 *       rows [r0, r1) of syrk's lower triangle (reads and writes nothing else of C), then with
 *       `mirror` their strict lower part copied onto the upper triangle (columns [r0, r1)). Row
 *       ranges are independent and give the same bytes as one syrk call: the threaded split.
 *   cholesky_inverse_T(n, a, rsa, csa, w, rsw, csw, scratch) -> info
 *       A (SPD, lower triangle read) is overwritten by A^-1 = L^-T L^-1 (symmetric); w: T (n, n)
 *       work space for L^-1.
 *   linalg_scratch_T(n): scratch bytes for any of these calls with every dimension <= n.
 *
 * Bools are i32 (0/1). Accumulation in T. Upper/transposed/right variants are the lower left
 * kernels of inline/linalg-core.ts on swapped strides. Not LU, QR or eigensolvers.
 */
import { choleskyLower, linalgScratchBytes, mirrorLower, mirrorRows, syrkLower, syrkRows, triInvLower, triInvUpper, trsmLower, trsmUpper, zeroStrictUpper } from './inline/linalg-core';
import { scaleMatrix } from './inline/gemm-core';

function cholesky<T>(n: i32, a: usize, rsa: usize, csa: usize, upper: bool, scratch: usize): i32 {
  // The upper factor of A is the lower factor of A^T: the same kernel on swapped strides would
  // walk memory column-wise, so copy the upper triangle down, factor, and copy the result back.
  if (upper) mirrorLower<T>(n, a, csa, rsa);
  const info = choleskyLower<T>(n, a, rsa, csa, scratch);
  if (upper) {
    mirrorLower<T>(n, a, rsa, csa);
    zeroStrictUpper<T>(n, a, csa, rsa);
  } else {
    zeroStrictUpper<T>(n, a, rsa, csa);
  }
  return info;
}

function trsm<T>(right: bool, upper: bool, trans: bool, unit: bool, m: i32, n: i32, alpha: T, t: usize, rst: usize, cst: usize, b: usize, rsb: usize, csb: usize, scratch: usize): void {
  if (m <= 0 || n <= 0) return;
  if (alpha != <T>1) scaleMatrix<T>(m, n, alpha, b, rsb, csb);
  // Reduce to a left solve M Y = C with M lower or upper, on possibly swapped strides:
  // left:  M = op(T), C = B;     right: X op(T) = B  <=>  op(T)^T X^T = B^T.
  const useT = right ? trans : !trans; // whether M is T itself (else T^T)
  const rsm = useT ? rst : cst;
  const csm = useT ? cst : rst;
  const lower = useT ? !upper : upper;
  const rows = right ? n : m;
  const cols = right ? m : n;
  const rsc = right ? csb : rsb;
  const csc = right ? rsb : csb;
  if (lower) trsmLower<T>(rows, cols, t, rsm, csm, unit, b, rsc, csc, scratch);
  else trsmUpper<T>(rows, cols, t, rsm, csm, unit, b, rsc, csc, scratch);
}

function choleskyInverse<T>(n: i32, a: usize, rsa: usize, csa: usize, w: usize, rsw: usize, csw: usize, scratch: usize): i32 {
  const info = choleskyLower<T>(n, a, rsa, csa, scratch);
  if (info != 0) return info;
  triInvLower<T>(n, a, rsa, csa, false, w, rsw, csw, scratch);
  // A^-1 = W^T W with W = L^-1 lower: syrk on W^T (upper triangular), depth trimmed per block row.
  syrkLower<T>(n, n, <T>1, w, csw, rsw, <T>0, a, rsa, csa, true, scratch);
  mirrorLower<T>(n, a, rsa, csa);
  return 0;
}

export function linalg_scratch_f32(n: i32): usize {
  return linalgScratchBytes<f32>(n);
}
export function linalg_scratch_f64(n: i32): usize {
  return linalgScratchBytes<f64>(n);
}

export function cholesky_f32(n: i32, a: usize, rsa: i32, csa: i32, upper: i32, scratch: usize): i32 {
  return cholesky<f32>(n, a, rsa, csa, upper != 0, scratch);
}
export function cholesky_f64(n: i32, a: usize, rsa: i32, csa: i32, upper: i32, scratch: usize): i32 {
  return cholesky<f64>(n, a, rsa, csa, upper != 0, scratch);
}

export function trsm_f32(right: i32, upper: i32, trans: i32, unit: i32, m: i32, n: i32, alpha: f32, t: usize, rst: i32, cst: i32, b: usize, rsb: i32, csb: i32, scratch: usize): void {
  trsm<f32>(right != 0, upper != 0, trans != 0, unit != 0, m, n, alpha, t, rst, cst, b, rsb, csb, scratch);
}
export function trsm_f64(right: i32, upper: i32, trans: i32, unit: i32, m: i32, n: i32, alpha: f64, t: usize, rst: i32, cst: i32, b: usize, rsb: i32, csb: i32, scratch: usize): void {
  trsm<f64>(right != 0, upper != 0, trans != 0, unit != 0, m, n, alpha, t, rst, cst, b, rsb, csb, scratch);
}

export function tri_inv_f32(n: i32, t: usize, rst: i32, cst: i32, upper: i32, unit: i32, x: usize, rsx: i32, csx: i32, scratch: usize): void {
  if (upper != 0) triInvUpper<f32>(n, t, rst, cst, unit != 0, x, rsx, csx, scratch);
  else triInvLower<f32>(n, t, rst, cst, unit != 0, x, rsx, csx, scratch);
}
export function tri_inv_f64(n: i32, t: usize, rst: i32, cst: i32, upper: i32, unit: i32, x: usize, rsx: i32, csx: i32, scratch: usize): void {
  if (upper != 0) triInvUpper<f64>(n, t, rst, cst, unit != 0, x, rsx, csx, scratch);
  else triInvLower<f64>(n, t, rst, cst, unit != 0, x, rsx, csx, scratch);
}

function syrkRowRange<T>(n: i32, k: i32, r0: i32, r1: i32, alpha: T, a: usize, rsa: usize, csa: usize, beta: T, c: usize, rsc: usize, csc: usize, mirror: bool, scratch: usize): void {
  syrkRows<T>(n, k, r0, r1, alpha, a, rsa, csa, beta, c, rsc, csc, scratch);
  if (mirror) mirrorRows<T>(r0 < 0 ? 0 : r0, r1 > n ? n : r1, c, rsc, csc);
}

export function syrk_f32(n: i32, k: i32, alpha: f32, a: usize, rsa: i32, csa: i32, beta: f32, c: usize, rsc: i32, csc: i32, scratch: usize): void {
  syrkRowRange<f32>(n, k, 0, n, alpha, a, rsa, csa, beta, c, rsc, csc, true, scratch);
}
export function syrk_f64(n: i32, k: i32, alpha: f64, a: usize, rsa: i32, csa: i32, beta: f64, c: usize, rsc: i32, csc: i32, scratch: usize): void {
  syrkRowRange<f64>(n, k, 0, n, alpha, a, rsa, csa, beta, c, rsc, csc, true, scratch);
}
export function syrk_rows_f32(n: i32, k: i32, r0: i32, r1: i32, alpha: f32, a: usize, rsa: i32, csa: i32, beta: f32, c: usize, rsc: i32, csc: i32, mirror: i32, scratch: usize): void {
  syrkRowRange<f32>(n, k, r0, r1, alpha, a, rsa, csa, beta, c, rsc, csc, mirror != 0, scratch);
}
export function syrk_rows_f64(n: i32, k: i32, r0: i32, r1: i32, alpha: f64, a: usize, rsa: i32, csa: i32, beta: f64, c: usize, rsc: i32, csc: i32, mirror: i32, scratch: usize): void {
  syrkRowRange<f64>(n, k, r0, r1, alpha, a, rsa, csa, beta, c, rsc, csc, mirror != 0, scratch);
}

export function cholesky_inverse_f32(n: i32, a: usize, rsa: i32, csa: i32, w: usize, rsw: i32, csw: i32, scratch: usize): i32 {
  return choleskyInverse<f32>(n, a, rsa, csa, w, rsw, csw, scratch);
}
export function cholesky_inverse_f64(n: i32, a: usize, rsa: i32, csa: i32, w: usize, rsw: i32, csw: i32, scratch: usize): i32 {
  return choleskyInverse<f64>(n, a, rsa, csa, w, rsw, csw, scratch);
}
