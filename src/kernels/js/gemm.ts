/**
 * Reference GEMM and GEMV kernels: the definition of `gemm_f32`, `gemm_f64`, `gemv_f32`, `gemv_f64`
 * and the fallback when WebAssembly SIMD is unavailable (after llm.c's `matmul_forward_naive`).
 *
 *   gemm: C (m, n) = alpha * A (m, k) B (k, n) + beta * C
 *   gemv: y (m)    = alpha * A (m, n) x (n)    + beta * y
 *
 * Matrices are a `Ref` plus row and column strides in elements (>= 0), so transposed and broadcast
 * views need no copy. beta == 0 never reads C or y (NaN in the output buffer does not leak).
 * Sums accumulate in f64 and are rounded once; the WASM kernels accumulate in T in another order,
 * so f32 results agree within (k + 2) * 2^-23 * sum(|alpha a b|) + |beta c| * 2^-23.
 *
 * Not the user-facing op (src/ops/matmul.ts): no shape checks beyond what the arguments imply.
 */
import { view, type Ref } from '../ref.js';

/** Arguments of `gemm_f32` / `gemm_f64`. */
export interface GemmArgs {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly alpha: number;
  readonly a: Ref;
  readonly rsa: number;
  readonly csa: number;
  readonly b: Ref;
  readonly rsb: number;
  readonly csb: number;
  readonly beta: number;
  readonly c: Ref;
  readonly rsc: number;
  readonly csc: number;
}

/** Arguments of `gemv_f32` / `gemv_f64`. */
export interface GemvArgs {
  readonly m: number;
  readonly n: number;
  readonly alpha: number;
  readonly a: Ref;
  readonly rsa: number;
  readonly csa: number;
  readonly x: Ref;
  readonly incx: number;
  readonly beta: number;
  readonly y: Ref;
  readonly incy: number;
}

type FloatArray = Float32Array | Float64Array;

function gemm(A: FloatArray, B: FloatArray, C: FloatArray, g: GemmArgs): void {
  const { m, n, k, alpha, beta, rsa, csa, rsb, csb, rsc, csc } = g;
  const acc = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    acc.fill(0);
    const ai = g.a.offset + i * rsa;
    for (let p = 0; p < k; p++) {
      const aip = A[ai + p * csa];
      const bp = g.b.offset + p * rsb;
      if (csb === 1) for (let j = 0; j < n; j++) acc[j] += aip * B[bp + j];
      else for (let j = 0; j < n; j++) acc[j] += aip * B[bp + j * csb];
    }
    const ci = g.c.offset + i * rsc;
    for (let j = 0; j < n; j++) {
      const q = ci + j * csc;
      C[q] = beta === 0 ? alpha * acc[j] : alpha * acc[j] + beta * C[q];
    }
  }
}

function gemv(A: FloatArray, X: FloatArray, Y: FloatArray, g: GemvArgs): void {
  const { m, n, alpha, beta, rsa, csa, incx, incy } = g;
  for (let i = 0; i < m; i++) {
    let t = 0;
    const ai = g.a.offset + i * rsa;
    for (let j = 0; j < n; j++) t += A[ai + j * csa] * X[g.x.offset + j * incx];
    const q = g.y.offset + i * incy;
    Y[q] = beta === 0 ? alpha * t : alpha * t + beta * Y[q];
  }
}

/**
 * C = alpha * A B + beta * C in f32.
 * @example
 * gemmF32({ m: 2, n: 2, k: 2, alpha: 1, a, rsa: 2, csa: 1, b, rsb: 2, csb: 1, beta: 0, c, rsc: 2, csc: 1 });
 */
export function gemmF32(g: GemmArgs): void {
  gemm(view(g.a, Float32Array), view(g.b, Float32Array), view(g.c, Float32Array), g);
}

/**
 * C = alpha * A B + beta * C in f64.
 * @example
 * gemmF64({ m: 2, n: 2, k: 2, alpha: 1, a, rsa: 2, csa: 1, b, rsb: 2, csb: 1, beta: 0, c, rsc: 2, csc: 1 });
 */
export function gemmF64(g: GemmArgs): void {
  gemm(view(g.a, Float64Array), view(g.b, Float64Array), view(g.c, Float64Array), g);
}

/**
 * y = alpha * A x + beta * y in f32.
 * @example
 * gemvF32({ m: 2, n: 3, alpha: 1, a, rsa: 3, csa: 1, x, incx: 1, beta: 0, y, incy: 1 });
 */
export function gemvF32(g: GemvArgs): void {
  gemv(view(g.a, Float32Array), view(g.x, Float32Array), view(g.y, Float32Array), g);
}

/**
 * y = alpha * A x + beta * y in f64.
 * @example
 * gemvF64({ m: 2, n: 3, alpha: 1, a, rsa: 3, csa: 1, x, incx: 1, beta: 0, y, incy: 1 });
 */
export function gemvF64(g: GemvArgs): void {
  gemv(view(g.a, Float64Array), view(g.x, Float64Array), view(g.y, Float64Array), g);
}
