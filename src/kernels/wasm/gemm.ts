/**
 * WASM side of the GEMM/GEMV kernels: turns `Ref`s into pointers (see runtime.ts `Marshal`),
 * allocates the packing scratch, and calls the exports of assembly/gemm.ts and assembly/gemv.ts.
 * Same signatures and meaning as src/kernels/js/gemm.ts. C must not overlap A or B. With
 * `setThreads(n)` the output is split over threads (src/kernels/threads.ts).
 */
import { matrixExtent } from '../ref.js';
import { wasmRuntime } from '../backend.js';
import type { GemmArgs, GemvArgs } from '../js/gemm.js';
import { Marshal } from './runtime.js';
import { MIN_WORK_PER_THREAD, parallelRows } from '../threads.js';

function gemm(g: GemmArgs, bpe: 4 | 8): void {
  const rt = wasmRuntime();
  const e = rt.exports;
  const mm = new Marshal(rt);
  try {
    const a = mm.in(g.a, bpe, matrixExtent(g.m, g.k, g.rsa, g.csa));
    const b = mm.in(g.b, bpe, matrixExtent(g.k, g.n, g.rsb, g.csb));
    const c = mm.inout(g.c, bpe, matrixExtent(g.m, g.n, g.rsc, g.csc));
    const scratch = (m: number, n: number): number => mm.scratch(bpe === 4 ? e.gemm_scratch_f32(m, n, g.k) : e.gemm_scratch_f64(m, n, g.k));
    const fn = bpe === 4 ? 'gemm_f32' : 'gemm_f64';
    // Threads (threads.ts) split C along its longer side; every element of C is computed by the same
    // micro-kernel steps whichever block holds it, so the result does not depend on the split.
    const perLine = (g.m >= g.n ? g.n : g.m) * Math.max(g.k, 1);
    const opts = { minRowsPerThread: MIN_WORK_PER_THREAD / perLine };
    if (g.m >= g.n) {
      parallelRows(fn, g.m, (r0, r1) => [
        r1 - r0, g.n, g.k, g.alpha, a + r0 * g.rsa * bpe, g.rsa, g.csa, b, g.rsb, g.csb,
        g.beta, c + r0 * g.rsc * bpe, g.rsc, g.csc, scratch(r1 - r0, g.n),
      ], opts);
    } else {
      parallelRows(fn, g.n, (j0, j1) => [
        g.m, j1 - j0, g.k, g.alpha, a, g.rsa, g.csa, b + j0 * g.csb * bpe, g.rsb, g.csb,
        g.beta, c + j0 * g.csc * bpe, g.rsc, g.csc, scratch(g.m, j1 - j0),
      ], opts);
    }
    mm.commit();
  } finally {
    mm.release();
  }
}

function gemv(g: GemvArgs, bpe: 4 | 8): void {
  const rt = wasmRuntime();
  const mm = new Marshal(rt);
  try {
    const a = mm.in(g.a, bpe, matrixExtent(g.m, g.n, g.rsa, g.csa));
    const x = mm.in(g.x, bpe, matrixExtent(g.n, 1, g.incx, 1));
    const y = mm.inout(g.y, bpe, matrixExtent(g.m, 1, g.incy, 1));
    // Rows are split in multiples of 4: assembly/gemv.ts computes rows in groups of 4 and leftover
    // rows with another summation order, so aligned ranges give every row the same arithmetic.
    parallelRows(bpe === 4 ? 'gemv_f32' : 'gemv_f64', g.m, (r0, r1) => [
      r1 - r0, g.n, g.alpha, a + r0 * g.rsa * bpe, g.rsa, g.csa, x, g.incx, g.beta, y + r0 * g.incy * bpe, g.incy,
    ], { align: 4, minRowsPerThread: MIN_WORK_PER_THREAD / Math.max(g.n, 1) });
    mm.commit();
  } finally {
    mm.release();
  }
}

/** WASM `gemm_f32` (see js/gemm.ts for the meaning). @example gemmF32Wasm(args); */
export const gemmF32Wasm = (g: GemmArgs): void => gemm(g, 4);
/** WASM `gemm_f64`. @example gemmF64Wasm(args); */
export const gemmF64Wasm = (g: GemmArgs): void => gemm(g, 8);
/** WASM `gemv_f32`. @example gemvF32Wasm(args); */
export const gemvF32Wasm = (g: GemvArgs): void => gemv(g, 4);
/** WASM `gemv_f64`. @example gemvF64Wasm(args); */
export const gemvF64Wasm = (g: GemvArgs): void => gemv(g, 8);
