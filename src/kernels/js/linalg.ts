/**
 * Reference linear algebra kernels: the definition of `cholesky_*`, `trsm_*`, `tri_inv_*`, `syrk_*`
 * and `cholesky_inverse_*` (f32 and f64) and the fallback without WebAssembly SIMD. Textbook
 * unblocked algorithms (Golub & Van Loan, Matrix Computations, 4th ed.: 4.2.5 Cholesky, 3.1
 * substitution) on strided matrices; dots accumulate in f64 and each stored value is rounded to
 * the element type. The WASM kernels are blocked (LAPACK's potrf/trsm/trtri/syrk) and agree within
 * a rounding tolerance, not bit for bit.
 *
 * Not the user-facing ops (src/ops/linalg.ts): no validation beyond what the arguments imply.
 */
import { view, type Ref } from '../ref.js';

type FloatArray = Float32Array | Float64Array;
type FloatCtor = Float32ArrayConstructor | Float64ArrayConstructor;

/** Arguments of `cholesky_f32` / `cholesky_f64`. */
export interface CholeskyArgs {
  readonly n: number;
  readonly a: Ref;
  readonly rsa: number;
  readonly csa: number;
  /** Factor the upper triangle (A = U^T U) instead of the lower one (A = L L^T). */
  readonly upper: boolean;
}

/** Arguments of `trsm_f32` / `trsm_f64`: B (m x n) is overwritten by the solution X. */
export interface TrsmArgs {
  /** left: op(T) X = alpha B (T m x m); right: X op(T) = alpha B (T n x n). */
  readonly side: 'left' | 'right';
  readonly upper: boolean;
  /** op(T) = T^T. */
  readonly trans: boolean;
  /** Treat the diagonal of T as ones (it is not read). */
  readonly unit: boolean;
  readonly m: number;
  readonly n: number;
  readonly alpha: number;
  readonly t: Ref;
  readonly rst: number;
  readonly cst: number;
  readonly b: Ref;
  readonly rsb: number;
  readonly csb: number;
}

/** Arguments of `tri_inv_f32` / `tri_inv_f64`: X = T^-1 (zeros in the other triangle). */
export interface TriInvArgs {
  readonly n: number;
  readonly t: Ref;
  readonly rst: number;
  readonly cst: number;
  readonly upper: boolean;
  readonly unit: boolean;
  readonly x: Ref;
  readonly rsx: number;
  readonly csx: number;
}

/**
 * Arguments of `syrk_f32` / `syrk_f64`: C (n x n) = alpha A A^T + beta C with A n x k, reading C's
 * lower triangle and leaving C symmetric (lower computed, then mirrored).
 */
export interface SyrkArgs {
  readonly n: number;
  readonly k: number;
  readonly alpha: number;
  readonly a: Ref;
  readonly rsa: number;
  readonly csa: number;
  readonly beta: number;
  readonly c: Ref;
  readonly rsc: number;
  readonly csc: number;
}

/** Arguments of `cholesky_inverse_f32` / `_f64`: A (SPD, lower triangle read) becomes A^-1. */
export interface CholeskyInverseArgs {
  readonly n: number;
  readonly a: Ref;
  readonly rsa: number;
  readonly csa: number;
}

/** Lower Cholesky in place on (A, off, rs, cs); returns 0 or the failing leading minor (1-based). */
function potrfLower(A: FloatArray, n: number, off: number, rs: number, cs: number): number {
  for (let j = 0; j < n; j++) {
    const rj = off + j * rs;
    let d = A[rj + j * cs];
    for (let p = 0; p < j; p++) d -= A[rj + p * cs] * A[rj + p * cs];
    if (!(d > 0)) return j + 1;
    const ljj = Math.sqrt(d);
    A[rj + j * cs] = ljj;
    const l = A[rj + j * cs]; // rounded to the element type
    for (let i = j + 1; i < n; i++) {
      const ri = off + i * rs;
      let s = A[ri + j * cs];
      for (let p = 0; p < j; p++) s -= A[ri + p * cs] * A[rj + p * cs];
      A[ri + j * cs] = s / l;
    }
  }
  return 0;
}

function zeroStrictUpper(A: FloatArray, n: number, off: number, rs: number, cs: number): void {
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) A[off + i * rs + j * cs] = 0;
}

function mirrorLower(A: FloatArray, n: number, off: number, rs: number, cs: number): void {
  for (let i = 1; i < n; i++) for (let j = 0; j < i; j++) A[off + j * rs + i * cs] = A[off + i * rs + j * cs];
}

function cholesky(A: FloatArray, g: CholeskyArgs): number {
  // The upper factor is the lower factor of the transposed view: swap the strides.
  const [rs, cs] = g.upper ? [g.csa, g.rsa] : [g.rsa, g.csa];
  const info = potrfLower(A, g.n, g.a.offset, rs, cs);
  zeroStrictUpper(A, g.n, g.a.offset, rs, cs);
  return info;
}

/** Solves M Y = C in place, M (size x size) lower or upper, C size x cols. */
function substitute(
  T: FloatArray,
  toff: number,
  rsm: number,
  csm: number,
  lower: boolean,
  unit: boolean,
  B: FloatArray,
  boff: number,
  rsc: number,
  csc: number,
  size: number,
  cols: number,
): void {
  for (let c = 0; c < cols; c++) {
    const x = boff + c * csc;
    for (let s = 0; s < size; s++) {
      const i = lower ? s : size - 1 - s;
      let v = B[x + i * rsc];
      if (lower) for (let p = 0; p < i; p++) v -= T[toff + i * rsm + p * csm] * B[x + p * rsc];
      else for (let p = i + 1; p < size; p++) v -= T[toff + i * rsm + p * csm] * B[x + p * rsc];
      B[x + i * rsc] = unit ? v : v / T[toff + i * rsm + i * csm];
    }
  }
}

function trsm(T: FloatArray, B: FloatArray, g: TrsmArgs): void {
  const { m, n, alpha } = g;
  if (m === 0 || n === 0) return;
  if (alpha !== 1) {
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) B[g.b.offset + i * g.rsb + j * g.csb] *= alpha;
  }
  // X op(T) = B  <=>  op(T)^T X^T = B^T: every case is a left solve with M = T or T^T.
  const right = g.side === 'right';
  const useT = right ? g.trans : !g.trans;
  const [rsm, csm] = useT ? [g.rst, g.cst] : [g.cst, g.rst];
  const lower = useT ? !g.upper : g.upper;
  const [rsc, csc] = right ? [g.csb, g.rsb] : [g.rsb, g.csb];
  substitute(T, g.t.offset, rsm, csm, lower, g.unit, B, g.b.offset, rsc, csc, right ? n : m, right ? m : n);
}

function triInv(T: FloatArray, X: FloatArray, g: TriInvArgs): void {
  const { n } = g;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) X[g.x.offset + i * g.rsx + j * g.csx] = i === j ? 1 : 0;
  substitute(T, g.t.offset, g.rst, g.cst, !g.upper, g.unit, X, g.x.offset, g.rsx, g.csx, n, n);
}

function syrk(A: FloatArray, C: FloatArray, g: SyrkArgs): void {
  const { n, k, alpha, beta } = g;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += A[g.a.offset + i * g.rsa + p * g.csa] * A[g.a.offset + j * g.rsa + p * g.csa];
      const q = g.c.offset + i * g.rsc + j * g.csc;
      C[q] = beta === 0 ? alpha * s : alpha * s + beta * C[q];
    }
  }
  mirrorLower(C, n, g.c.offset, g.rsc, g.csc);
}

function choleskyInverse(A: FloatArray, ctor: FloatCtor, g: CholeskyInverseArgs): number {
  const { n, rsa, csa } = g;
  const off = g.a.offset;
  const info = potrfLower(A, n, off, rsa, csa);
  if (info !== 0) return info;
  // W = L^-1 (lower), then A^-1 = W^T W: (W^T W)[i][j] = sum over p >= max(i, j) of W[p][i] W[p][j].
  const W = new ctor(n * n);
  for (let i = 0; i < n; i++) W[i * n + i] = 1;
  substitute(A, off, rsa, csa, true, false, W, 0, n, 1, n, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let p = i; p < n; p++) s += W[p * n + i] * W[p * n + j];
      A[off + i * rsa + j * csa] = s;
    }
  }
  mirrorLower(A, n, off, rsa, csa);
  return 0;
}

/**
 * Cholesky factor in place (f32); zeros over the other strict triangle. Returns 0 or the 1-based
 * order of the first leading minor that is not positive definite.
 * @example
 * const info = choleskyF32({ n: 2, a, rsa: 2, csa: 1, upper: false });
 */
export const choleskyF32 = (g: CholeskyArgs): number => cholesky(view(g.a, Float32Array), g);
/** Cholesky factor in place (f64). @example choleskyF64({ n, a, rsa: n, csa: 1, upper: false }); */
export const choleskyF64 = (g: CholeskyArgs): number => cholesky(view(g.a, Float64Array), g);

/**
 * Triangular solve with many right-hand sides, in place on B (f32).
 * @example
 * trsmF32({ side: 'left', upper: false, trans: false, unit: false, m, n, alpha: 1, t, rst: m, cst: 1, b, rsb: n, csb: 1 });
 */
export const trsmF32 = (g: TrsmArgs): void => trsm(view(g.t, Float32Array), view(g.b, Float32Array), g);
/** Triangular solve (f64). @example trsmF64(args); */
export const trsmF64 = (g: TrsmArgs): void => trsm(view(g.t, Float64Array), view(g.b, Float64Array), g);

/**
 * Triangular inverse into X (f32).
 * @example
 * triInvF32({ n, t, rst: n, cst: 1, upper: false, unit: false, x, rsx: n, csx: 1 });
 */
export const triInvF32 = (g: TriInvArgs): void => triInv(view(g.t, Float32Array), view(g.x, Float32Array), g);
/** Triangular inverse (f64). @example triInvF64(args); */
export const triInvF64 = (g: TriInvArgs): void => triInv(view(g.t, Float64Array), view(g.x, Float64Array), g);

/**
 * C = alpha A A^T + beta C, symmetric result (f32). For the Hessian X^T X of X (tokens, features)
 * pass A = X^T: n = features, k = tokens, rsa = 1, csa = features.
 * @example
 * syrkF32({ n: f, k: t, alpha: 1, a: x, rsa: 1, csa: f, beta: 1, c: h, rsc: f, csc: 1 });
 */
export const syrkF32 = (g: SyrkArgs): void => syrk(view(g.a, Float32Array), view(g.c, Float32Array), g);
/** Symmetric rank-k update (f64). @example syrkF64(args); */
export const syrkF64 = (g: SyrkArgs): void => syrk(view(g.a, Float64Array), view(g.c, Float64Array), g);

/**
 * SPD inverse via Cholesky in place (f32). Returns 0 or the failing leading minor.
 * @example
 * const info = choleskyInverseF32({ n, a, rsa: n, csa: 1 });
 */
export const choleskyInverseF32 = (g: CholeskyInverseArgs): number => choleskyInverse(view(g.a, Float32Array), Float32Array, g);
/** SPD inverse via Cholesky (f64). @example choleskyInverseF64(args); */
export const choleskyInverseF64 = (g: CholeskyInverseArgs): number => choleskyInverse(view(g.a, Float64Array), Float64Array, g);
