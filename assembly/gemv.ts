/**
 * Dense matrix-vector product exports: y = alpha * A x + beta * y, f32 and f64.
 *
 *   a: T (m, n) at a with strides (rsa, csa); x: T (n) stride incx; y: T (m) stride incy
 *   accumulator: T, read only when beta != 0
 *
 * Memory-bound: each weight is read once. Two fast paths, each with a scalar tail:
 * - rows contiguous (csa == 1, incx == 1): 4 rows a quarter of the range apart share each load
 *   of x (rows4), every row summed in the same order wherever it falls (rowDot for leftovers);
 * - columns contiguous (rsa == 1, incy == 1; a row-major weight used as Wᵀ): y += x[j] * A[:, j],
 *   4 columns a quarter of the range apart per pass over y (which stays in L1).
 * Anything else takes the scalar loop. Not GEMM (gemm.ts), not packed weights (qmatmul).
 */
import { hsum, ld, madd, st } from './inline/simd';

// @ts-ignore: decorator
@inline function rowsContiguous<T>(m: i32, n: i32, alpha: T, a: usize, rsa: usize, x: usize, beta: T, y: usize, incy: usize): void {
  // Rows i, i + q, i + 2q and i + 3q together (q = m / 4): four weight streams that each run on
  // through consecutive rows, which the hardware prefetchers follow; four adjacent rows instead
  // restart all four streams every row (22 against 39 GB/s for 4096x4096 f32 on one core here).
  const q = m >> 2;
  const rowBytes = rsa << alignof<T>();
  const qBytes = <usize>q * rowBytes;
  const qy = (<usize>q * incy) << alignof<T>();
  for (let i = 0; i < q; i++) {
    const r0 = a + <usize>i * rowBytes;
    const yi = y + ((<usize>i * incy) << alignof<T>());
    rows4<T>(n, alpha, r0, r0 + qBytes, r0 + 2 * qBytes, r0 + 3 * qBytes, x, beta, yi, yi + qy, yi + 2 * qy, yi + 3 * qy);
  }
  for (let i = q << 2; i < m; i++) {
    const yi = y + ((<usize>i * incy) << alignof<T>());
    finish<T>(yi, alpha, rowDot<T>(n, a + <usize>i * rowBytes, x), beta);
  }
}

/**
 * Four rows' dots with x (sharing each load of x), to y0..y3. Each row sums like rowDot: one
 * accumulator, two vectors per step in column order, then a last vector, the lanes, the scalar
 * tail; so a row's result does not depend on the rows it is computed with.
 */
// @ts-ignore: decorator
@inline function rows4<T>(n: i32, alpha: T, r0: usize, r1: usize, r2: usize, r3: usize, x: usize, beta: T, y0: usize, y1: usize, y2: usize, y3: usize): void {
  const L = <i32>(16 / sizeof<T>());
  let s0 = v128.splat<T>(0);
  let s1 = s0;
  let s2 = s0;
  let s3 = s0;
  // two vectors per iteration through one moving offset (constant load offsets, half the branches)
  let j = 0;
  let off: usize = 0;
  for (; j + 2 * L <= n; j += 2 * L, off += 32) {
    let xv = v128.load(x + off);
    s0 = madd<T>(s0, v128.load(r0 + off), xv);
    s1 = madd<T>(s1, v128.load(r1 + off), xv);
    s2 = madd<T>(s2, v128.load(r2 + off), xv);
    s3 = madd<T>(s3, v128.load(r3 + off), xv);
    xv = v128.load(x + off, 16);
    s0 = madd<T>(s0, v128.load(r0 + off, 16), xv);
    s1 = madd<T>(s1, v128.load(r1 + off, 16), xv);
    s2 = madd<T>(s2, v128.load(r2 + off, 16), xv);
    s3 = madd<T>(s3, v128.load(r3 + off, 16), xv);
  }
  if (j + L <= n) {
    const xv = v128.load(x + off);
    s0 = madd<T>(s0, v128.load(r0 + off), xv);
    s1 = madd<T>(s1, v128.load(r1 + off), xv);
    s2 = madd<T>(s2, v128.load(r2 + off), xv);
    s3 = madd<T>(s3, v128.load(r3 + off), xv);
    j += L;
  }
  let t0 = hsum<T>(s0);
  let t1 = hsum<T>(s1);
  let t2 = hsum<T>(s2);
  let t3 = hsum<T>(s3);
  for (; j < n; j++) {
    const xj = ld<T>(x, j);
    t0 += ld<T>(r0, j) * xj;
    t1 += ld<T>(r1, j) * xj;
    t2 += ld<T>(r2, j) * xj;
    t3 += ld<T>(r3, j) * xj;
  }
  finish<T>(y0, alpha, t0, beta);
  finish<T>(y1, alpha, t1, beta);
  finish<T>(y2, alpha, t2, beta);
  finish<T>(y3, alpha, t3, beta);
}

/** One row's dot with x in rows4's order (the rows left over by the groups of four). */
// @ts-ignore: decorator
@inline function rowDot<T>(n: i32, r: usize, x: usize): T {
  const L = <i32>(16 / sizeof<T>());
  let s = v128.splat<T>(0);
  let j = 0;
  for (; j + L <= n; j += L) s = madd<T>(s, v128.load(r + (<usize>j << alignof<T>())), v128.load(x + (<usize>j << alignof<T>())));
  let t = hsum<T>(s);
  for (; j < n; j++) t += ld<T>(r, j) * ld<T>(x, j);
  return t;
}

/** y = alpha t + beta y (y not read when beta is 0), at the element address p. */
// @ts-ignore: decorator
@inline function finish<T>(p: usize, alpha: T, t: T, beta: T): void {
  store<T>(p, beta == <T>0 ? alpha * t : alpha * t + beta * load<T>(p));
}

// @ts-ignore: decorator
@inline function colsContiguous<T>(m: i32, n: i32, alpha: T, a: usize, csa: usize, x: usize, incx: usize, beta: T, y: usize): void {
  const L = <i32>(16 / sizeof<T>());
  if (beta != <T>1) {
    for (let i = 0; i < m; i++) st<T>(y, i, beta == <T>0 ? <T>0 : beta * ld<T>(y, i));
  }
  // Columns j, j + q, j + 2q and j + 3q per pass over y (q = n / 4): four continuous weight
  // streams, as rowsContiguous reads rows (22 against 39 GB/s for 4096x4096 f32 here).
  const q = n >> 2;
  const qBytes = (<usize>q * csa) << alignof<T>();
  const qx = <usize>q * incx;
  for (let j = 0; j < q; j++) {
    const c0 = a + ((<usize>j * csa) << alignof<T>());
    const c1 = c0 + qBytes;
    const c2 = c1 + qBytes;
    const c3 = c2 + qBytes;
    const x0 = alpha * ld<T>(x, <usize>j * incx);
    const x1 = alpha * ld<T>(x, <usize>j * incx + qx);
    const x2 = alpha * ld<T>(x, <usize>j * incx + 2 * qx);
    const x3 = alpha * ld<T>(x, <usize>j * incx + 3 * qx);
    const v0 = v128.splat<T>(x0);
    const v1 = v128.splat<T>(x1);
    const v2 = v128.splat<T>(x2);
    const v3 = v128.splat<T>(x3);
    let i = 0;
    for (; i + L <= m; i += L) {
      const off = <usize>i << alignof<T>();
      let acc = v128.load(y + off);
      acc = madd<T>(acc, v128.load(c0 + off), v0);
      acc = madd<T>(acc, v128.load(c1 + off), v1);
      acc = madd<T>(acc, v128.load(c2 + off), v2);
      acc = madd<T>(acc, v128.load(c3 + off), v3);
      v128.store(y + off, acc);
    }
    for (; i < m; i++) {
      st<T>(y, i, ld<T>(y, i) + ld<T>(c0, i) * x0 + ld<T>(c1, i) * x1 + ld<T>(c2, i) * x2 + ld<T>(c3, i) * x3);
    }
  }
  for (let j = q << 2; j < n; j++) {
    const c0 = a + ((<usize>j * csa) << alignof<T>());
    const x0 = alpha * ld<T>(x, <usize>j * incx);
    const v0 = v128.splat<T>(x0);
    let i = 0;
    for (; i + L <= m; i += L) {
      const off = <usize>i << alignof<T>();
      v128.store(y + off, madd<T>(v128.load(y + off), v128.load(c0 + off), v0));
    }
    for (; i < m; i++) st<T>(y, i, ld<T>(y, i) + ld<T>(c0, i) * x0);
  }
}

function gemv<T>(m: i32, n: i32, alpha: T, a: usize, rsa: usize, csa: usize, x: usize, incx: usize, beta: T, y: usize, incy: usize): void {
  if (m <= 0) return;
  if (csa == 1 && incx == 1) {
    rowsContiguous<T>(m, n, alpha, a, rsa, x, beta, y, incy);
  } else if (rsa == 1 && incy == 1) {
    colsContiguous<T>(m, n, alpha, a, csa, x, incx, beta, y);
  } else {
    for (let i = 0; i < m; i++) {
      let t = <T>0;
      for (let j = 0; j < n; j++) t += ld<T>(a, <usize>i * rsa + <usize>j * csa) * ld<T>(x, <usize>j * incx);
      finish<T>(y + ((<usize>i * incy) << alignof<T>()), alpha, t, beta);
    }
  }
}

export function gemv_f32(m: i32, n: i32, alpha: f32, a: usize, rsa: i32, csa: i32, x: usize, incx: i32, beta: f32, y: usize, incy: i32): void {
  gemv<f32>(m, n, alpha, a, rsa, csa, x, incx, beta, y, incy);
}

export function gemv_f64(m: i32, n: i32, alpha: f64, a: usize, rsa: i32, csa: i32, x: usize, incx: i32, beta: f64, y: usize, incy: i32): void {
  gemv<f64>(m, n, alpha, a, rsa, csa, x, incx, beta, y, incy);
}
