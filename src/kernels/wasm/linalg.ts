/**
 * WASM side of the linear algebra kernels (assembly/linalg.ts): marshals `Ref`s into pointers,
 * allocates the scratch (`linalg_scratch_*`) and, for cholesky_inverse, the n x n work matrix.
 * Same signatures and meaning as src/kernels/js/linalg.ts. With `setThreads(n)`, syrk is split
 * by block rows over threads (src/kernels/threads.ts); the factorizations run on one thread.
 */
import { wasmRuntime } from '../backend.js';
import type { CholeskyArgs, CholeskyInverseArgs, SyrkArgs, TriInvArgs, TrsmArgs } from '../js/linalg.js';
import { matrixExtent } from '../ref.js';
import { Marshal, type WasmRuntime } from './runtime.js';
import { MIN_WORK_PER_THREAD, getThreads, runParallel, type WasmCall } from '../threads.js';

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

function cholesky(g: CholeskyArgs, bpe: Bpe): number {
  return call((rt, mm, scratch) => {
    const a = mm.inout(g.a, bpe, matrixExtent(g.n, g.n, g.rsa, g.csa));
    const f = bpe === 4 ? rt.exports.cholesky_f32 : rt.exports.cholesky_f64;
    return f(g.n, a, g.rsa, g.csa, b(g.upper), scratch(g.n));
  }, bpe);
}

function trsm(g: TrsmArgs, bpe: Bpe): void {
  call((rt, mm, scratch) => {
    const size = g.side === 'left' ? g.m : g.n;
    const t = mm.in(g.t, bpe, matrixExtent(size, size, g.rst, g.cst));
    const bp = mm.inout(g.b, bpe, matrixExtent(g.m, g.n, g.rsb, g.csb));
    const f = bpe === 4 ? rt.exports.trsm_f32 : rt.exports.trsm_f64;
    f(b(g.side === 'right'), b(g.upper), b(g.trans), b(g.unit), g.m, g.n, g.alpha, t, g.rst, g.cst, bp, g.rsb, g.csb, scratch(Math.max(g.m, g.n)));
  }, bpe);
}

function triInv(g: TriInvArgs, bpe: Bpe): void {
  call((rt, mm, scratch) => {
    const t = mm.in(g.t, bpe, matrixExtent(g.n, g.n, g.rst, g.cst));
    const x = mm.inout(g.x, bpe, matrixExtent(g.n, g.n, g.rsx, g.csx));
    const f = bpe === 4 ? rt.exports.tri_inv_f32 : rt.exports.tri_inv_f64;
    f(g.n, t, g.rst, g.cst, b(g.upper), b(g.unit), x, g.rsx, g.csx, scratch(g.n));
  }, bpe);
}

/** Block size of assembly/inline/linalg-core.ts (`NB`): syrkLower's block rows start at multiples of it. */
const SYRK_NB = 128;

function syrk(g: SyrkArgs, bpe: Bpe): void {
  call((rt, mm, scratch) => {
    const a = mm.in(g.a, bpe, matrixExtent(g.n, g.k, g.rsa, g.csa));
    const c = mm.inout(g.c, bpe, matrixExtent(g.n, g.n, g.rsc, g.csc));
    const blocks = Math.ceil(g.n / SYRK_NB);
    const threads = Math.min(getThreads(), blocks, Math.floor((g.n * g.n * Math.max(g.k, 1)) / 2 / MIN_WORK_PER_THREAD));
    if (threads <= 1) {
      const f = bpe === 4 ? rt.exports.syrk_f32 : rt.exports.syrk_f64;
      f(g.n, g.k, g.alpha, a, g.rsa, g.csa, g.beta, c, g.rsc, g.csc, scratch(Math.max(g.n, g.k)));
      return;
    }
    syrkThreaded(rt, g, bpe, a, c, threads, blocks, (bytes) => mm.scratch(bytes));
  }, bpe);
}

/**
 * SYRK over threads by block rows. assembly/inline/linalg-core.ts `syrkLower` computes block row r
 * (rows i0 = r*NB .. i0+ib) as one gemm for the columns left of the diagonal block and one full
 * tile for the diagonal block; replaying exactly those calls per block row (the gemm export, and
 * the syrk export on the ib x ib diagonal block, which is syrkLower with one block row and mirrors
 * that block) gives bit-identical results. Block rows are grouped into contiguous ranges of about
 * equal work (row r costs ~ r + 1/2 blocks); the strict upper triangle left of the diagonal blocks is
 * mirrored here afterwards. Each element is written by one thread only.
 */
function syrkThreaded(rt: WasmRuntime, g: SyrkArgs, bpe: Bpe, a: number, c: number, threads: number, blocks: number, alloc: (bytes: number) => number): void {
  const e = rt.exports;
  const f32 = bpe === 4;
  const scratchBytes = Math.max(
    f32 ? e.gemm_scratch_f32(SYRK_NB, g.n, g.k) : e.gemm_scratch_f64(SYRK_NB, g.n, g.k),
    f32 ? e.linalg_scratch_f32(Math.max(SYRK_NB, g.k)) : e.linalg_scratch_f64(Math.max(SYRK_NB, g.k)),
  );
  const total = blocks * blocks / 2;
  const tasks: WasmCall[][] = [];
  let r = 0;
  for (let t = 0; t < threads && r < blocks; t++) {
    const s = alloc(scratchBytes);
    const calls: WasmCall[] = [];
    const target = (total * (t + 1)) / threads;
    // Block rows 0..r cost about (r+1)^2 / 2 blocks; take rows until the running cost reaches the target.
    do {
      const i0 = r * SYRK_NB;
      const ib = Math.min(SYRK_NB, g.n - i0);
      const ai = a + i0 * g.rsa * bpe;
      if (i0 > 0) {
        calls.push({ fn: f32 ? 'gemm_f32' : 'gemm_f64', args: [ib, i0, g.k, g.alpha, ai, g.rsa, g.csa, a, g.csa, g.rsa, g.beta, c + i0 * g.rsc * bpe, g.rsc, g.csc, s] });
      }
      calls.push({ fn: f32 ? 'syrk_f32' : 'syrk_f64', args: [ib, g.k, g.alpha, ai, g.rsa, g.csa, g.beta, c + i0 * (g.rsc + g.csc) * bpe, g.rsc, g.csc, s] });
      r++;
    } while (r < blocks && (t === threads - 1 || ((r + 1) * (r + 1)) / 2 <= target));
    tasks.push(calls);
  }
  runParallel(tasks);
  // Mirror the blocks left of the diagonal onto the strict upper triangle (views after every allocation).
  const C = f32 ? new Float32Array(rt.memory.buffer) : new Float64Array(rt.memory.buffer);
  const base = c / bpe;
  for (let i = SYRK_NB; i < g.n; i++) {
    const lim = Math.floor(i / SYRK_NB) * SYRK_NB;
    const ri = base + i * g.rsc;
    for (let j = 0; j < lim; j++) C[base + j * g.rsc + i * g.csc] = C[ri + j * g.csc];
  }
}

function choleskyInverse(g: CholeskyInverseArgs, bpe: Bpe): number {
  return call((rt, mm, scratch) => {
    const a = mm.inout(g.a, bpe, matrixExtent(g.n, g.n, g.rsa, g.csa));
    const w = mm.scratch(g.n * g.n * bpe);
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
