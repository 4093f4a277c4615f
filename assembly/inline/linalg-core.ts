/**
 * Blocked dense linear algebra for float T (f32, f64) on strided matrices, built on gemmCore so
 * the O(n^3) part runs in the packed micro-kernel (the LAPACK recipe: potrf = potf2 on a diagonal
 * block + trsm on the panel + syrk on the trailing matrix; trtri by left-looking blocks of gemm).
 *
 * Matrices are (pointer, row stride, column stride) in elements. Only lower-triangular and
 * left-side primitives are written here: upper, transposed and right-side variants are the same
 * code on swapped strides (assembly/linalg.ts maps them). Scratch for packed panels and the
 * diagonal tile of syrk is passed in: `linalgScratchBytes<T>(n)` bytes for any call whose
 * dimensions are all <= n. Not exported from the module.
 */
import { gemmCore, gemmScratchBytes, MC, MR, microKernel, nr, packA, packB, roundUp, scaleMatrix } from './gemm-core';
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

/**
 * Depth of syrk's packed slices: 2 KiB of T per row (512 f32, twice gemm's KC), since C (read and
 * written once per slice) is the large operand of a Gram matrix (n x n from n x k, k often < n);
 * the A block (MC x KS) still fits L2 and a B micro-panel (KS x NR) L1. Counted in bytes so the
 * f64 scratch (a slice of n columns) is no larger than the f32 one.
 */
// @ts-ignore: decorator
@inline function ks<T>(): i32 {
  return <i32>(2048 / sizeof<T>());
}

/** Scratch bytes of `syrkRows<T>` for rows below n (any depth): one packed A block, one packed B slice of n columns, a tile. */
function syrkScratchBytes<T>(n: i32): usize {
  const nc = <usize>roundUp(n, nr<T>());
  return ((<usize>ks<T>() * (<usize>MC + nc) + <usize>(MR * nr<T>())) << alignof<T>()) + 64;
}

/** Scratch bytes for linalg calls whose dimensions are all <= n. */
export function linalgScratchBytes<T>(n: i32): usize {
  const d = n < 1 ? 1 : n;
  const g = gemmScratchBytes<T>(d, d, d);
  const s = syrkScratchBytes<T>(d);
  return (g > s ? g : s) + ((<usize>NB * <usize>NB) << alignof<T>()) + 64;
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
 * Rows [r0, r1) of the lower triangle (with the diagonal) of C (n x n) = alpha A A^T + beta C,
 * A n x k; nothing else of C is read or written (beta == 0 never reads C). The GEMM recipe of
 * gemm-core.ts restricted to the triangle: for each KS-deep slice, the columns [0, r1) of B = A^T
 * are packed once, then each MC block of rows packs its A panels and runs `microKernel` on the
 * tiles that touch the lower triangle only; tiles crossing the diagonal keep their lower part
 * (the kernel's `lim`). So SYRK costs half a GEMM of the same size, with packing amortised over
 * every row (packing B per block row, as a gemm call per block row would, costs ~k n^2 / NB copies).
 * An element's value is independent of r0 and r1 (micro-kernel invariance): threads split rows.
 */
export function syrkRows<T>(n: i32, k: i32, r0: i32, r1: i32, alpha: T, a: usize, rsa: usize, csa: usize, beta: T, c: usize, rsc: usize, csc: usize, scratch: usize): void {
  if (r1 > n) r1 = n;
  if (r0 < 0) r0 = 0;
  if (r0 >= r1) return;
  if (k <= 0 || alpha == <T>0) {
    for (let i = r0; i < r1; i++) scaleMatrix<T>(1, i + 1, beta, el<T>(c, i, 0, rsc, csc), rsc, csc);
    return;
  }
  const NR = nr<T>();
  const KS = ks<T>();
  const kcMax = imin(KS, k);
  const mcMax = roundUp(imin(MC, r1 - r0), MR);
  const bufA = (scratch + 15) & ~(<usize>15);
  const bufB = bufA + ((<usize>kcMax * <usize>mcMax) << alignof<T>());
  const tile = bufB + ((<usize>kcMax * <usize>roundUp(r1, NR)) << alignof<T>());
  for (let pc = 0; pc < k; pc += KS) {
    const kc = imin(KS, k - pc);
    const betaEff: T = pc == 0 ? beta : <T>1;
    // B = A^T on depth [pc, pc + kc) and columns [0, r1): element (p, j) = A[j][pc + p].
    packB<T>(bufB, el<T>(a, 0, pc, rsa, csa), csa, rsa, kc, r1);
    for (let ic = r0; ic < r1; ic += MC) {
      const mc = imin(MC, r1 - ic);
      packA<T>(bufA, el<T>(a, ic, pc, rsa, csa), rsa, csa, mc, kc);
      const jEnd = ic + mc; // columns right of the block's last row are upper triangle
      for (let jr = 0; jr < jEnd; jr += NR) {
        const pb = bufB + ((<usize>jr * <usize>kc) << alignof<T>());
        const cols = imin(NR, jEnd - jr);
        // Skip the tiles wholly above the diagonal: start at the tile holding row jr.
        const ir0 = jr > ic ? ((jr - ic) / MR) * MR : 0;
        for (let ir = ir0; ir < mc; ir += MR) {
          const pa = bufA + ((<usize>ir * <usize>kc) << alignof<T>());
          const gi = ic + ir;
          microKernel<T>(kc, pa, pb, el<T>(c, gi, jr, rsc, csc), rsc, csc, imin(MR, mc - ir), cols, alpha, betaEff, tile, gi - jr);
        }
      }
    }
  }
}

/**
 * Lower triangle (with the diagonal) of C (n x n) = alpha A A^T + beta C, A n x k; the strict upper
 * triangle of C is not touched. `triA`: A is upper triangular (A[i][p] = 0 for p < i, k == n), so
 * block row i0 only needs depth [i0, k) (C = W^T W for a lower triangular W costs n^3/3): then by
 * block rows of NB, the part left of the diagonal block a gemm on the trimmed depth, the diagonal
 * block a syrkRows of its own (as src/kernels/threads/linalg.ts replays it).
 */
export function syrkLower<T>(n: i32, k: i32, alpha: T, a: usize, rsa: usize, csa: usize, beta: T, c: usize, rsc: usize, csc: usize, triA: bool, scratch: usize): void {
  if (!triA) {
    syrkRows<T>(n, k, 0, n, alpha, a, rsa, csa, beta, c, rsc, csc, scratch);
    return;
  }
  for (let i0 = 0; i0 < n; i0 += NB) {
    const ib = imin(NB, n - i0);
    const kk = k - i0;
    const ai = el<T>(a, i0, i0, rsa, csa);
    if (i0 > 0) {
      // B = A^T restricted to columns [0, i0): element (p, j) = A[j][i0 + p].
      gemmCore<T>(ib, i0, kk, alpha, ai, rsa, csa, el<T>(a, 0, i0, rsa, csa), csa, rsa, beta, el<T>(c, i0, 0, rsc, csc), rsc, csc, scratch);
    }
    syrkRows<T>(ib, kk, 0, ib, alpha, ai, rsa, csa, beta, el<T>(c, i0, i0, rsc, csc), rsc, csc, scratch);
  }
}

/** Side of the square blocks `mirrorRows` transposes (2 x 32 x 32 x 8 bytes stay in L1). */
const MB: i32 = 32;

/**
 * Copies the strict lower triangle of rows [r0, r1) onto the upper one (C[j][i] = C[i][j], j < i):
 * columns [r0, r1) of the upper triangle, which no other row range writes. By MB x MB blocks, so
 * the strided side of the transposition stays in cache (element by element it misses once per
 * element on large matrices); f32 blocks wholly left of the diagonal with contiguous rows move as
 * 4 x 4 register transposes (a quarter of the loads and stores: the mirror of a 4096 x 4096 Gram
 * matrix took ~35 ms element by element, about 3% of syrk).
 */
export function mirrorRows<T>(r0: i32, r1: i32, c: usize, rsc: usize, csc: usize): void {
  for (let i0 = r0; i0 < r1; i0 += MB) {
    const i1 = imin(i0 + MB, r1);
    for (let j0 = 0; j0 < i1; j0 += MB) {
      const j1 = imin(j0 + MB, i1);
      if (sizeof<T>() == 4 && csc == 1 && j1 <= i0) {
        mirrorBlockF32(i0, i1, j0, j1, c, rsc);
        continue;
      }
      for (let j = j0; j < j1; j++) {
        const iStart = j + 1 > i0 ? j + 1 : i0;
        for (let i = iStart; i < i1; i++) store<T>(el<T>(c, j, i, rsc, csc), load<T>(el<T>(c, i, j, rsc, csc)));
      }
    }
  }
}

/** C[j][i] = C[i][j] for i in [i0, i1), j in [j0, j1) (f32, unit column stride), by 4 x 4 transposes. */
function mirrorBlockF32(i0: i32, i1: i32, j0: i32, j1: i32, c: usize, rsc: usize): void {
  const row = rsc << 2;
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    let j = j0;
    for (; j + 4 <= j1; j += 4) {
      const s = el<f32>(c, i, j, rsc, 1);
      const x0 = v128.load(s);
      const x1 = v128.load(s + row);
      const x2 = v128.load(s + 2 * row);
      const x3 = v128.load(s + 3 * row);
      const t0 = i32x4.shuffle(x0, x1, 0, 4, 1, 5);
      const t1 = i32x4.shuffle(x0, x1, 2, 6, 3, 7);
      const t2 = i32x4.shuffle(x2, x3, 0, 4, 1, 5);
      const t3 = i32x4.shuffle(x2, x3, 2, 6, 3, 7);
      const d = el<f32>(c, j, i, rsc, 1);
      v128.store(d, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
      v128.store(d + row, i32x4.shuffle(t0, t2, 2, 3, 6, 7));
      v128.store(d + 2 * row, i32x4.shuffle(t1, t3, 0, 1, 4, 5));
      v128.store(d + 3 * row, i32x4.shuffle(t1, t3, 2, 3, 6, 7));
    }
    for (; j < j1; j++) {
      for (let r = i; r < i + 4; r++) store<f32>(el<f32>(c, j, r, rsc, 1), load<f32>(el<f32>(c, r, j, rsc, 1)));
    }
  }
  for (; i < i1; i++) {
    for (let j = j0; j < j1; j++) store<f32>(el<f32>(c, j, i, rsc, 1), load<f32>(el<f32>(c, i, j, rsc, 1)));
  }
}

/** Copies the strict lower triangle onto the strict upper one (C symmetric afterwards). */
export function mirrorLower<T>(n: i32, c: usize, rsc: usize, csc: usize): void {
  mirrorRows<T>(0, n, c, rsc, csc);
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
 * The NB x NB tile in the last bytes of a linalgScratchBytes<T>(n) block (its reserve, past any
 * gemm or syrk panels), for kernels that need a block of their own next to gemmCore's panels.
 * src/kernels/threads/linalg.ts places its items' tiles by the same rule.
 */
function ownTile<T>(scratch: usize, n: i32): usize {
  return (scratch + linalgScratchBytes<T>(n) - (<usize>(NB * NB) << alignof<T>()) - 16) & ~(<usize>15);
}

/**
 * Inverse of the n x n lower triangular L into X (zeros above the diagonal), left-looking by
 * blocks (n^3/3 flops, like LAPACK trtri): first every diagonal block X_ii = L_ii^-1 (substitution
 * on the identity, n NB^2 / 6 flops), then for each block column j and row block i > j in order,
 * X_ij = -X_ii (L[i, j:i] X[j:i, j]): two gemms, the first of depth i - j. Deep products load and
 * store C once per KC slice instead of once per 64-deep update of a right-looking trsm, which held
 * that form to about 15 GFLOP/s at n = 4096, and no substitution runs off the diagonal.
 */
export function triInvLower<T>(n: i32, l: usize, rsl: usize, csl: usize, unit: bool, x: usize, rsx: usize, csx: usize, scratch: usize): void {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) store<T>(el<T>(x, i, j, rsx, csx), i == j ? <T>1 : <T>0);
  }
  for (let i0 = 0; i0 < n; i0 += NB) {
    const ib = imin(NB, n - i0);
    substLower<T>(ib, ib, el<T>(l, i0, i0, rsl, csl), rsl, csl, unit, el<T>(x, i0, i0, rsx, csx), rsx, csx);
  }
  const tile = ownTile<T>(scratch, n);
  for (let j0 = 0; j0 < n; j0 += NB) {
    const jb = imin(NB, n - j0);
    for (let i0 = j0 + NB; i0 < n; i0 += NB) {
      const ib = imin(NB, n - i0);
      // tile = L[i, j:i] X[j:i, j], then X_ij = -X_ii tile (X_ii lower, its zeros stored)
      gemmCore<T>(ib, jb, i0 - j0, <T>1, el<T>(l, i0, j0, rsl, csl), rsl, csl, el<T>(x, j0, j0, rsx, csx), rsx, csx, <T>0, tile, <usize>NB, 1, scratch);
      gemmCore<T>(ib, jb, ib, <T>-1, el<T>(x, i0, i0, rsx, csx), rsx, csx, tile, <usize>NB, 1, <T>0, el<T>(x, i0, j0, rsx, csx), rsx, csx, scratch);
    }
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
