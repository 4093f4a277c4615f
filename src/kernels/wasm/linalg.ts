/**
 * WASM side of the linear algebra kernels (assembly/linalg.ts): marshals `Ref`s into pointers,
 * allocates the scratch (`linalg_scratch_*`) and, for cholesky_inverse, the n x n work matrix.
 * Same signatures and meaning as src/kernels/js/linalg.ts. With `setThreads(n)` (and n >= 256),
 * syrk, cholesky, tri_inv and cholesky_inverse run their blocked algorithms over threads
 * (src/kernels/threads/linalg.ts) and trsm splits its right-hand sides, all bit-identical to the
 * single-thread exports.
 */
import { wasmRuntime } from '../backend.js';
import type { CholeskyArgs, CholeskyInverseArgs, SyrkArgs, TriInvArgs, TrsmArgs } from '../js/linalg.js';
import { matrixExtent } from '../ref.js';
import { Marshal, type WasmRuntime } from './runtime.js';
import { MIN_WORK_PER_THREAD, RANGES_PER_THREAD, getThreads, parallelRows, runParallel } from '../threads.js';
import {
  NB,
  choleskyInverseThreaded,
  choleskyThreaded,
  syrkThreaded,
  threadedCtx,
  triInvThreaded,
  type ThreadedCtx,
} from '../threads/linalg.js';

type Bpe = 4 | 8;

function call<R>(f: (rt: WasmRuntime, mm: Marshal, scratch: (n: number) => number) => R, bpe: Bpe): R {
  const rt = wasmRuntime();
  const mm = new Marshal(rt);
  const scratch = (n: number): number =>
    mm.scratch(bpe === 4 ? rt.exports.linalg_scratch_f32(n) : rt.exports.linalg_scratch_f64(n));
  try {
    const r = f(rt, mm, scratch);
    mm.commit();
    return r;
  } finally {
    mm.release();
  }
}

const b = (x: boolean): number => (x ? 1 : 0);

/**
 * A threaded context when an n x n factorization (about n^3/3 multiply-adds) is worth splitting:
 * at least two NB blocks and threads on; null otherwise.
 */
function threadsFor(rt: WasmRuntime, mm: Marshal, bpe: Bpe, n: number, maxDim = n): ThreadedCtx | null {
  const threads = Math.min(getThreads(), Math.ceil(n / NB));
  if (threads <= 1 || n < 2 * NB || (n * n * n) / 3 < 2 * MIN_WORK_PER_THREAD) return null;
  return threadedCtx(rt, bpe, threads * RANGES_PER_THREAD, maxDim, (bytes) => mm.scratch(bytes), runParallel);
}

function cholesky(g: CholeskyArgs, bpe: Bpe): number {
  return call((rt, mm, scratch) => {
    const a = mm.inout(g.a, bpe, matrixExtent(g.n, g.n, g.rsa, g.csa));
    const ctx = threadsFor(rt, mm, bpe, g.n);
    if (ctx) return choleskyThreaded(ctx, g.n, { p: a, rs: g.rsa, cs: g.csa }, g.upper);
    const f = bpe === 4 ? rt.exports.cholesky_f32 : rt.exports.cholesky_f64;
    return f(g.n, a, g.rsa, g.csa, b(g.upper), scratch(g.n));
  }, bpe);
}

function trsm(g: TrsmArgs, bpe: Bpe): void {
  call((rt, mm, scratch) => {
    const size = g.side === 'left' ? g.m : g.n;
    const t = mm.in(g.t, bpe, matrixExtent(size, size, g.rst, g.cst));
    const bp = mm.inout(g.b, bpe, matrixExtent(g.m, g.n, g.rsb, g.csb));
    const head = [b(g.side === 'right'), b(g.upper), b(g.trans), b(g.unit)];
    const tail = (): number[] => [g.alpha, t, g.rst, g.cst];
    const fn = bpe === 4 ? 'trsm_f32' : 'trsm_f64';
    // The right-hand sides (columns of B on the left, rows on the right) never interact, and each
    // is solved by the same steps whichever range holds it: split them over the threads.
    const perRhs = Math.max(1, (size * size) / 2);
    const opts = { minRowsPerThread: MIN_WORK_PER_THREAD / perRhs };
    if (g.side === 'left') {
      parallelRows(fn, g.n, (c0, c1) => [...head, g.m, c1 - c0, ...tail(), bp + c0 * g.csb * bpe, g.rsb, g.csb, scratch(Math.max(g.m, c1 - c0))], opts);
    } else {
      parallelRows(fn, g.m, (r0, r1) => [...head, r1 - r0, g.n, ...tail(), bp + r0 * g.rsb * bpe, g.rsb, g.csb, scratch(Math.max(r1 - r0, g.n))], opts);
    }
  }, bpe);
}

function triInv(g: TriInvArgs, bpe: Bpe): void {
  call((rt, mm, scratch) => {
    const t = mm.in(g.t, bpe, matrixExtent(g.n, g.n, g.rst, g.cst));
    const x = mm.inout(g.x, bpe, matrixExtent(g.n, g.n, g.rsx, g.csx));
    const ctx = threadsFor(rt, mm, bpe, g.n);
    if (ctx) {
      triInvThreaded(ctx, g.n, { p: t, rs: g.rst, cs: g.cst }, g.upper, g.unit, { p: x, rs: g.rsx, cs: g.csx });
      return;
    }
    const f = bpe === 4 ? rt.exports.tri_inv_f32 : rt.exports.tri_inv_f64;
    f(g.n, t, g.rst, g.cst, b(g.upper), b(g.unit), x, g.rsx, g.csx, scratch(g.n));
  }, bpe);
}

function syrk(g: SyrkArgs, bpe: Bpe): void {
  call((rt, mm, scratch) => {
    const a = mm.in(g.a, bpe, matrixExtent(g.n, g.k, g.rsa, g.csa));
    const c = mm.inout(g.c, bpe, matrixExtent(g.n, g.n, g.rsc, g.csc));
    const threads = Math.min(getThreads(), Math.ceil(g.n / NB), Math.floor((g.n * g.n * Math.max(g.k, 1)) / 2 / MIN_WORK_PER_THREAD));
    if (threads <= 1) {
      const f = bpe === 4 ? rt.exports.syrk_f32 : rt.exports.syrk_f64;
      f(g.n, g.k, g.alpha, a, g.rsa, g.csa, g.beta, c, g.rsc, g.csc, scratch(Math.max(g.n, g.k)));
      return;
    }
    const ctx = threadedCtx(rt, bpe, threads * RANGES_PER_THREAD, Math.max(g.n, g.k), (bytes) => mm.scratch(bytes), runParallel);
    syrkThreaded(ctx, { n: g.n, k: g.k, alpha: g.alpha, a: { p: a, rs: g.rsa, cs: g.csa }, beta: g.beta, c: { p: c, rs: g.rsc, cs: g.csc }, triA: false });
  }, bpe);
}

function choleskyInverse(g: CholeskyInverseArgs, bpe: Bpe): number {
  return call((rt, mm, scratch) => {
    const a = mm.inout(g.a, bpe, matrixExtent(g.n, g.n, g.rsa, g.csa));
    const w = mm.scratch(g.n * g.n * bpe);
    const ctx = threadsFor(rt, mm, bpe, g.n);
    if (ctx) return choleskyInverseThreaded(ctx, g.n, { p: a, rs: g.rsa, cs: g.csa }, { p: w, rs: g.n, cs: 1 });
    const f = bpe === 4 ? rt.exports.cholesky_inverse_f32 : rt.exports.cholesky_inverse_f64;
    return f(g.n, a, g.rsa, g.csa, w, g.n, 1, scratch(g.n));
  }, bpe);
}

/** WASM `cholesky_f32`. @example choleskyF32Wasm(args); */
export const choleskyF32Wasm = (g: CholeskyArgs): number => cholesky(g, 4);
/** WASM `cholesky_f64`. @example choleskyF64Wasm(args); */
export const choleskyF64Wasm = (g: CholeskyArgs): number => cholesky(g, 8);
/** WASM `trsm_f32`. @example trsmF32Wasm(args); */
export const trsmF32Wasm = (g: TrsmArgs): void => trsm(g, 4);
/** WASM `trsm_f64`. @example trsmF64Wasm(args); */
export const trsmF64Wasm = (g: TrsmArgs): void => trsm(g, 8);
/** WASM `tri_inv_f32`. @example triInvF32Wasm(args); */
export const triInvF32Wasm = (g: TriInvArgs): void => triInv(g, 4);
/** WASM `tri_inv_f64`. @example triInvF64Wasm(args); */
export const triInvF64Wasm = (g: TriInvArgs): void => triInv(g, 8);
/** WASM `syrk_f32`. @example syrkF32Wasm(args); */
export const syrkF32Wasm = (g: SyrkArgs): void => syrk(g, 4);
/** WASM `syrk_f64`. @example syrkF64Wasm(args); */
export const syrkF64Wasm = (g: SyrkArgs): void => syrk(g, 8);
/** WASM `cholesky_inverse_f32`. @example choleskyInverseF32Wasm(args); */
export const choleskyInverseF32Wasm = (g: CholeskyInverseArgs): number => choleskyInverse(g, 4);
/** WASM `cholesky_inverse_f64`. @example choleskyInverseF64Wasm(args); */
export const choleskyInverseF64Wasm = (g: CholeskyInverseArgs): number => choleskyInverse(g, 8);
