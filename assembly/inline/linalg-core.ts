/**
 * Blocked dense linear algebra for float T (f32, f64) on strided matrices, built on gemmCore so
 * the O(n^3) part runs in the packed micro-kernel (the LAPACK recipe: potrf = potf2 on a diagonal
 * block + trsm on the panel + syrk on the trailing matrix; trtri by column blocks of trsm).
 *
 * Matrices are (pointer, row stride, column stride) in elements. Only lower-triangular and
 * left-side primitives are written here: upper, transposed and right-side variants are the same
 * code on swapped strides (assembly/linalg.ts maps them). Scratch for packed panels and the
 * diagonal tile of syrk is passed in: `linalgScratchBytes<T>(n)` bytes for any call whose
 * dimensions are all <= n. Not exported from the module.
 */
import { gemmCore, gemmScratchBytes } from './gemm-core';
import { at, hsum, ld, madd, st } from './simd';

/** Block size of potrf and syrk (rows of a block row). */
export const NB: i32 = 128;
/** Block size of trsm (rows solved by substitution before a gemm update). */
export const NBT: i32 = 64;

// @ts-ignore: decorator
@inline function imin(a: i32, b: i32): i32 {
  return a < b ? a : b;
}

/** Address of element (i, j). */
// @ts-ignore: decorator
@inline function el<T>(p: usize, i: i32, j: i32, rs: usize, cs: usize): usize {
  return at<T>(p, <usize>i * rs + <usize>j * cs);
}

/** Scratch bytes for linalg calls whose dimensions are all <= n. */
export function linalgScratchBytes<T>(n: i32): usize {
  const d = n < 1 ? 1 : n;
  return gemmScratchBytes<T>(d, d, d) + ((<usize>NB * <usize>NB) << alignof<T>()) + 64;
}

/** Sum of x[i] * y[i], both contiguous. */
// @ts-ignore: decorator
@inline function dot<T>(x: usize, y: usize, n: i32): T {
  const L = <i32>(16 / sizeof<T>());
  let s0 = v128.splat<T>(0);
  let s1 = s0;
  let i = 0;
  for (; i + 2 * L <= n; i += 2 * L) {
    const off = <usize>i << alignof<T>();
    s0 = madd<T>(s0, v128.load(x + off), v128.load(y + off));
    s1 = madd<T>(s1, v128.load(x + off, 16), v128.load(y + off, 16));
  }
  let t = hsum<T>(v128.add<T>(s0, s1));
  for (; i < n; i++) t += ld<T>(x, i) * ld<T>(y, i);
  return t;
}

/** Sum of x[i*incx] * y[i*incy]; SIMD when both are contiguous. */
// @ts-ignore: decorator
@inline function dotStrided<T>(x: usize, incx: usize, y: usize, incy: usize, n: i32): T {
  if (incx == 1 && incy == 1) return dot<T>(x, y, n);
  let t = <T>0;
  for (let i = 0; i < n; i++) t += ld<T>(x, <usize>i * incx) * ld<T>(y, <usize>i * incy);
  return t;
}

/** y[0..n) -= s * x[0..n), contiguous. */
// @ts-ignore: decorator
@inline function axpyNeg<T>(y: usize, x: usize, s: T, n: i32): void {
  const L = <i32>(16 / sizeof<T>());
  const vs = v128.splat<T>(s);
  let i = 0;
  for (; i + L <= n; i += L) {
    const off = <usize>i << alignof<T>();
    v128.store(y + off, v128.sub<T>(v128.load(y + off), v128.mul<T>(vs, v128.load(x + off))));
  }
  for (; i < n; i++) st<T>(y, i, ld<T>(y, i) - s * ld<T>(x, i));
}

/** y[0..n) /= d, contiguous. */
// @ts-ignore: decorator
@inline function divRow<T>(y: usize, d: T, n: i32): void {
  const L = <i32>(16 / sizeof<T>());
  const vd = v128.splat<T>(d);
  let i = 0;
  for (; i + L <= n; i += L) {
    const off = <usize>i << alignof<T>();
    v128.store(y + off, v128.div<T>(v128.load(y + off), vd));
  }
  for (; i < n; i++) st<T>(y, i, ld<T>(y, i) / d);
}

/**
 * Unblocked Cholesky of the n x n lower triangle at a: L L^T = A, L written over it.
 * Returns 0, or the 1-based order of the first leading minor that is not positive definite.
 */
function potf2<T>(n: i32, a: usize, rs: usize, cs: usize): i32 {
  for (let j = 0; j < n; j++) {
    const rowJ = el<T>(a, j, 0, rs, cs);
    const d = load<T>(el<T>(a, j, j, rs, cs)) - dotStrided<T>(rowJ, cs, rowJ, cs, j);
    if (!(d > <T>0)) return j + 1;
    const ljj = <T>Math.sqrt(<f64>d);
    store<T>(el<T>(a, j, j, rs, cs), ljj);
    for (let i = j + 1; i < n; i++) {
      const p = el<T>(a, i, j, rs, cs);
      store<T>(p, (load<T>(p) - dotStrided<T>(el<T>(a, i, 0, rs, cs), cs, rowJ, cs, j)) / ljj);
    }
  }
  return 0;
}

/** Substitution for L X = B (L m x m lower, B m x n, X over B), without blocking. */
function substLower<T>(m: i32, n: i32, l: usize, rsl: usize, csl: usize, unit: bool, b: usize, rsb: usize, csb: usize): void {
  if (csb == 1) {
    // Rows of B contiguous: row i -= L[i][p] * row p, vectorised over the right-hand sides.
    for (let i = 0; i < m; i++) {
      const bi = el<T>(b, i, 0, rsb, 1);
      for (let p = 0; p < i; p++) axpyNeg<T>(bi, el<T>(b, p, 0, rsb, 1), load<T>(el<T>(l, i, p, rsl, csl)), n);
      if (!unit) divRow<T>(bi, load<T>(el<T>(l, i, i, rsl, csl)), n);
    }
    return;
  }
  // Columns of B: x[i] = (b[i] - L[i, 0:i] . x[0:i]) / L[i][i], SIMD dots when both are contiguous.
  for (let c = 0; c < n; c++) {
    const x = el<T>(b, 0, c, rsb, csb);
    for (let i = 0; i < m; i++) {
      const p = at<T>(x, <usize>i * rsb);
      let v = load<T>(p) - dotStrided<T>(el<T>(l, i, 0, rsl, csl), csl, x, rsb, i);
      if (!unit) v /= load<T>(el<T>(l, i, i, rsl, csl));
      store<T>(p, v);
    }
  }
}

/** Substitution for U X = B (U m x m upper), without blocking. */
function substUpper<T>(m: i32, n: i32, u: usize, rsu: usize, csu: usize, unit: bool, b: usize, rsb: usize, csb: usize): void {
  if (csb == 1) {
    for (let i = m - 1; i >= 0; i--) {
      const bi = el<T>(b, i, 0, rsb, 1);
      for (let p = i + 1; p < m; p++) axpyNeg<T>(bi, el<T>(b, p, 0, rsb, 1), load<T>(el<T>(u, i, p, rsu, csu)), n);
      if (!unit) divRow<T>(bi, load<T>(el<T>(u, i, i, rsu, csu)), n);
    }
    return;
  }
  for (let c = 0; c < n; c++) {
    const x = el<T>(b, 0, c, rsb, csb);
    for (let i = m - 1; i >= 0; i--) {
      const p = at<T>(x, <usize>i * rsb);
      const len = m - 1 - i;
      let v = load<T>(p) - dotStrided<T>(el<T>(u, i, i + 1, rsu, csu), csu, at<T>(x, <usize>(i + 1) * rsb), rsb, len);
      if (!unit) v /= load<T>(el<T>(u, i, i, rsu, csu));
      store<T>(p, v);
    }
  }
}

/** Solves L X = B in place (L m x m lower triangular, B m x n), blocked: substitution + gemm. */
export function trsmLower<T>(m: i32, n: i32, l: usize, rsl: usize, csl: usize, unit: bool, b: usize, rsb: usize, csb: usize, scratch: usize): void {
  for (let i0 = 0; i0 < m; i0 += NBT) {
    const ib = imin(NBT, m - i0);
    substLower<T>(ib, n, el<T>(l, i0, i0, rsl, csl), rsl, csl, unit, el<T>(b, i0, 0, rsb, csb), rsb, csb);
    const rest = m - i0 - ib;
    if (rest > 0) {
      gemmCore<T>(rest, n, ib, <T>-1, el<T>(l, i0 + ib, i0, rsl, csl), rsl, csl, el<T>(b, i0, 0, rsb, csb), rsb, csb, <T>1, el<T>(b, i0 + ib, 0, rsb, csb), rsb, csb, scratch);
    }
  }
}

/** Solves U X = B in place (U m x m upper triangular, B m x n), blocked from the bottom. */
export function trsmUpper<T>(m: i32, n: i32, u: usize, rsu: usize, csu: usize, unit: bool, b: usize, rsb: usize, csb: usize, scratch: usize): void {
  for (let i1 = m; i1 > 0; i1 -= NBT) {
    const i0 = i1 > NBT ? i1 - NBT : 0;
    const ib = i1 - i0;
    substUpper<T>(ib, n, el<T>(u, i0, i0, rsu, csu), rsu, csu, unit, el<T>(b, i0, 0, rsb, csb), rsb, csb);
    if (i0 > 0) {
      gemmCore<T>(i0, n, ib, <T>-1, el<T>(u, 0, i0, rsu, csu), rsu, csu, el<T>(b, i0, 0, rsb, csb), rsb, csb, <T>1, b, rsb, csb, scratch);
    }
  }
}

/**
 * Lower triangle (with the diagonal) of C (n x n) = alpha A A^T + beta C, A n x k; the strict upper
 * triangle of C is not touched. `triA`: A is upper triangular (A[i][p] = 0 for p < i, k == n), so
 * block row i0 only needs depth [i0, k) (C = W^T W for a lower triangular W costs n^3/3).
 * Block rows of NB: the part left of the diagonal block goes straight to gemm; the diagonal block
 * is computed in full into a scratch tile and only its lower triangle is added to C.
 */
export function syrkLower<T>(n: i32, k: i32, alpha: T, a: usize, rsa: usize, csa: usize, beta: T, c: usize, rsc: usize, csc: usize, triA: bool, scratch: usize): void {
  const tile = scratch;
  const g = scratch + ((<usize>NB * <usize>NB) << alignof<T>());
  for (let i0 = 0; i0 < n; i0 += NB) {
    const ib = imin(NB, n - i0);
    const k0 = triA ? i0 : 0;
    const kk = k - k0;
    const ai = el<T>(a, i0, k0, rsa, csa);
    if (i0 > 0) {
      // B = A^T restricted to columns [0, i0): element (p, j) = A[j][k0 + p].
      gemmCore<T>(ib, i0, kk, alpha, ai, rsa, csa, el<T>(a, 0, k0, rsa, csa), csa, rsa, beta, el<T>(c, i0, 0, rsc, csc), rsc, csc, g);
    }
    gemmCore<T>(ib, ib, kk, alpha, ai, rsa, csa, ai, csa, rsa, <T>0, tile, <usize>ib, 1, g);
    for (let i = 0; i < ib; i++) {
      for (let j = 0; j <= i; j++) {
        const p = el<T>(c, i0 + i, i0 + j, rsc, csc);
        const v = ld<T>(tile, <usize>(i * ib + j));
        store<T>(p, beta == <T>0 ? v : v + beta * load<T>(p));
      }
    }
  }
}

/** Copies the strict lower triangle onto the strict upper one (C symmetric afterwards). */
export function mirrorLower<T>(n: i32, c: usize, rsc: usize, csc: usize): void {
  for (let i = 1; i < n; i++) {
    for (let j = 0; j < i; j++) store<T>(el<T>(c, j, i, rsc, csc), load<T>(el<T>(c, i, j, rsc, csc)));
  }
}

/** Writes zeros over the strict upper triangle. */
export function zeroStrictUpper<T>(n: i32, c: usize, rsc: usize, csc: usize): void {
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) store<T>(el<T>(c, i, j, rsc, csc), <T>0);
  }
}

/**
 * Blocked right-looking Cholesky of the lower triangle (LAPACK potrf): for each NB block column,
 * potf2 on the diagonal block, the panel below solved against it (A21 = A21 L11^-T, a trsm on the
 * transposed view) and the trailing matrix updated by syrk (A22 -= A21 A21^T, lower only).
 * Returns 0 or the 1-based order of the first non positive definite leading minor.
 */
export function choleskyLower<T>(n: i32, a: usize, rs: usize, cs: usize, scratch: usize): i32 {
  for (let j0 = 0; j0 < n; j0 += NB) {
    const jb = imin(NB, n - j0);
    const a11 = el<T>(a, j0, j0, rs, cs);
    const info = potf2<T>(jb, a11, rs, cs);
    if (info != 0) return j0 + info;
    const r = n - j0 - jb;
    if (r > 0) {
      const a21 = el<T>(a, j0 + jb, j0, rs, cs);
      // X L11^T = A21  <=>  L11 X^T = A21^T: a left solve on the transposed view of the panel.
      trsmLower<T>(jb, r, a11, rs, cs, false, a21, cs, rs, scratch);
      syrkLower<T>(r, jb, <T>-1, a21, rs, cs, <T>1, el<T>(a, j0 + jb, j0 + jb, rs, cs), rs, cs, false, scratch);
    }
  }
  return 0;
}

/**
 * Inverse of the n x n lower triangular L into X (zeros above the diagonal), by column blocks:
 * X[j0:, j0:j0+jb] solves L[j0:, j0:] Y = I, so the zero rows above each block are never touched
 * (n^3/3 flops, like LAPACK trtri).
 */
export function triInvLower<T>(n: i32, l: usize, rsl: usize, csl: usize, unit: bool, x: usize, rsx: usize, csx: usize, scratch: usize): void {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) store<T>(el<T>(x, i, j, rsx, csx), i == j ? <T>1 : <T>0);
  }
  for (let j0 = 0; j0 < n; j0 += NB) {
    const jb = imin(NB, n - j0);
    trsmLower<T>(n - j0, jb, el<T>(l, j0, j0, rsl, csl), rsl, csl, unit, el<T>(x, j0, j0, rsx, csx), rsx, csx, scratch);
  }
}

/** Inverse of the n x n upper triangular U into X (zeros below the diagonal), by column blocks. */
export function triInvUpper<T>(n: i32, u: usize, rsu: usize, csu: usize, unit: bool, x: usize, rsx: usize, csx: usize, scratch: usize): void {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) store<T>(el<T>(x, i, j, rsx, csx), i == j ? <T>1 : <T>0);
  }
  for (let j0 = 0; j0 < n; j0 += NB) {
    const jb = imin(NB, n - j0);
    trsmUpper<T>(j0 + jb, jb, u, rsu, csu, unit, el<T>(x, 0, j0, rsx, csx), rsx, csx, scratch);
  }
}
