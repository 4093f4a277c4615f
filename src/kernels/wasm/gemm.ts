/**
 * WASM side of the GEMM/GEMV kernels: turns `Ref`s into pointers (see runtime.ts `Marshal`),
 * allocates the packing scratch, and calls the exports of assembly/gemm.ts and assembly/gemv.ts.
 * Same signatures and meaning as src/kernels/js/gemm.ts. C must not overlap A or B.
 */
import { matrixExtent } from '../ref.js';
import { wasmRuntime } from '../backend.js';
import type { GemmArgs, GemvArgs } from '../js/gemm.js';
import { Marshal } from './runtime.js';

function gemm(g: GemmArgs, bpe: 4 | 8): void {
  const rt = wasmRuntime();
  const e = rt.exports;
  const mm = new Marshal(rt);
  try {
    const a = mm.in(g.a, bpe, matrixExtent(g.m, g.k, g.rsa, g.csa));
    const b = mm.in(g.b, bpe, matrixExtent(g.k, g.n, g.rsb, g.csb));
    const c = mm.inout(g.c, bpe, matrixExtent(g.m, g.n, g.rsc, g.csc));
    const scratchBytes = bpe === 4 ? e.gemm_scratch_f32(g.m, g.n, g.k) : e.gemm_scratch_f64(g.m, g.n, g.k);
    const s = mm.scratch(scratchBytes);
    const f = bpe === 4 ? e.gemm_f32 : e.gemm_f64;
    f(g.m, g.n, g.k, g.alpha, a, g.rsa, g.csa, b, g.rsb, g.csb, g.beta, c, g.rsc, g.csc, s);
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
    const f = bpe === 4 ? rt.exports.gemv_f32 : rt.exports.gemv_f64;
    f(g.m, g.n, g.alpha, a, g.rsa, g.csa, x, g.incx, g.beta, y, g.incy);
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
