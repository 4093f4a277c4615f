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
import { MIN_WORK_PER_THREAD, RANGES_PER_THREAD, getThreads, parallelRows, runParallel, splitRange, type WasmCall } from '../threads.js';

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
    const rowParts = Math.min(getThreads() * SHARED_RANGES_PER_THREAD, Math.floor(g.m / opts.minRowsPerThread));
    if (g.m >= g.n && rowParts > 1 && g.k > 0 && g.alpha !== 0 && g.n > 0) {
      sharedPanels(g, bpe, mm, a, b, c, rowParts);
    } else if (g.m >= g.n) {
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

/**
 * Row ranges per thread of `sharedPanels`: B is packed once whatever the count, so finer ranges
 * than parallelRows' RANGES_PER_THREAD cost only a call each and let a thread that runs ahead (the
 * other core busy with another process) take more of the work.
 */
const SHARED_RANGES_PER_THREAD = 4;

/** Bytes of packed B one round of `sharedPanels` holds (several KC slices: two dispatches per round). */
const SHARED_PANEL_BYTES = 8 << 20;

/**
 * gemm over threads with ONE packed copy of B (row ranges would each pack all of B): per round of
 * KC slices of an NC column block, the threads first pack the slices' column ranges into shared
 * scratch (one dispatch), then each row range runs the macro-kernel over every slice of the round
 * in order (one dispatch; ranges are claimed as threads come free, so a late worker costs little).
 * The blocking and the micro-kernel steps per element are gemm_<T>'s: results match one thread.
 */
function sharedPanels(g: GemmArgs, bpe: 4 | 8, mm: Marshal, a: number, b: number, c: number, rowParts: number): void {
  const e = wasmRuntime().exports;
  const f64 = bpe === 8;
  const [KC, NC, MR, NR] = [e.gemm_block(0), e.gemm_block(1), e.gemm_block(2), e.gemm_block(f64 ? 4 : 3)];
  const kcMax = Math.min(KC, g.k);
  const ncMax = Math.ceil(Math.min(NC, g.n) / NR) * NR;
  const slot = kcMax * ncMax * bpe;
  const perRound = Math.max(1, Math.min(Math.ceil(g.k / KC), Math.floor(SHARED_PANEL_BYTES / slot)));
  const panels = mm.scratch(perRound * slot);
  const rows = splitRange(g.m, rowParts, MR);
  const scratch = rows.map(([r0, r1]) => mm.scratch(f64 ? e.gemm_macro_scratch_f64(r1 - r0, kcMax) : e.gemm_macro_scratch_f32(r1 - r0, kcMax)));
  const pack = f64 ? 'gemm_pack_b_f64' : 'gemm_pack_b_f32';
  const macro = f64 ? 'gemm_macro_f64' : 'gemm_macro_f32';
  const cols = (nc: number): [number, number][] => splitRange(nc, getThreads() * RANGES_PER_THREAD, NR);
  for (let jc = 0; jc < g.n; jc += NC) {
    const nc = Math.min(NC, g.n - jc);
    for (let p0 = 0; p0 < g.k; p0 += perRound * KC) {
      const slices: { pc: number; kc: number; at: number }[] = [];
      for (let pc = p0; pc < Math.min(g.k, p0 + perRound * KC); pc += KC) slices.push({ pc, kc: Math.min(KC, g.k - pc), at: panels + slices.length * slot });
      const packs: WasmCall[][] = [];
      for (const { pc, kc, at } of slices) {
        for (const [j0, j1] of cols(nc)) {
          packs.push([{ fn: pack, args: [kc, j1 - j0, b + (pc * g.rsb + (jc + j0) * g.csb) * bpe, g.rsb, g.csb, at + j0 * kc * bpe] }]);
        }
      }
      runParallel(packs);
      runParallel(
        rows.map(([r0, r1], i) =>
          slices.map(({ pc, kc, at }): WasmCall => ({
            fn: macro,
            args: [r1 - r0, nc, kc, g.alpha, a + (r0 * g.rsa + pc * g.csa) * bpe, g.rsa, g.csa, at, pc === 0 ? g.beta : 1, c + (r0 * g.rsc + jc * g.csc) * bpe, g.rsc, g.csc, scratch[i]],
          })),
        ),
      );
    }
  }
}

/** Column blocks of a large columns-contiguous GEMV, and the size (m n) from which it uses them (colsGemv). */
const COL_BLOCKS = 4;
const COL_BLOCKS_MIN = 1 << 20;

function gemv(g: GemvArgs, bpe: 4 | 8): void {
  const rt = wasmRuntime();
  const mm = new Marshal(rt);
  try {
    const a = mm.in(g.a, bpe, matrixExtent(g.m, g.n, g.rsa, g.csa));
    const x = mm.in(g.x, bpe, matrixExtent(g.n, 1, g.incx, 1));
    const y = mm.inout(g.y, bpe, matrixExtent(g.m, 1, g.incy, 1));
    // the layouts assembly/gemv.ts takes: contiguous rows first, then contiguous columns
    const colsLayout = !(g.csa === 1 && g.incx === 1) && g.rsa === 1 && g.incy === 1;
    if (colsLayout && g.m * g.n >= COL_BLOCKS_MIN) {
      colsGemv(g, bpe, mm, a, x, y);
    } else {
      // Rows are split in multiples of 4 (any split would do for contiguous rows: assembly/gemv.ts
      // sums every row in the same order whichever rows share its pass); a small columns-contiguous
      // GEMV runs as one call on the calling thread.
      parallelRows(bpe === 4 ? 'gemv_f32' : 'gemv_f64', g.m, (r0, r1) => [
        r1 - r0, g.n, g.alpha, a + r0 * g.rsa * bpe, g.rsa, g.csa, x, g.incx, g.beta, y + r0 * g.incy * bpe, g.incy,
      ], { align: 4, minRowsPerThread: colsLayout ? g.m : MIN_WORK_PER_THREAD / Math.max(g.n, 1) });
    }
    mm.commit();
  } finally {
    mm.release();
  }
}

/**
 * A large GEMV over contiguous columns (y and x contiguous): the columns in COL_BLOCKS fixed blocks,
 * each block's alpha A_b x_b by one kernel call into a partial vector (the calls shared out over the
 * threads), then y = beta y + p0 + p1 + p2 + p3 by the same kernel over the partials (four columns,
 * x all ones). A split by rows would cut every column, and its weight stream, into pieces
 * (4096x4096 f32: 28 GB/s on two threads against 39 on one); the blocks keep each call's streams
 * whole, and the order of the sums depends on the shape only, so the result is the same for any
 * thread count.
 */
function colsGemv(g: GemvArgs, bpe: 4 | 8, mm: Marshal, a: number, x: number, y: number): void {
  const rt = wasmRuntime();
  const fn = bpe === 4 ? 'gemv_f32' : 'gemv_f64';
  const blocks = splitRange(g.n, COL_BLOCKS, 4);
  const parts = mm.scratch(COL_BLOCKS * g.m * bpe);
  const ones = mm.scratch(COL_BLOCKS * bpe);
  const items: WasmCall[][] = [];
  for (let b = 0; b < COL_BLOCKS; b++) {
    const [j0, j1] = blocks[b] ?? [g.n, g.n];
    // an empty block still writes its zeros (beta 0, no columns)
    items.push([{ fn, args: [g.m, j1 - j0, g.alpha, a + j0 * g.csa * bpe, 1, g.csa, x + j0 * g.incx * bpe, g.incx, 0, parts + b * g.m * bpe, 1] }]);
  }
  runParallel(items);
  new (bpe === 4 ? Float32Array : Float64Array)(rt.memory.buffer, ones, COL_BLOCKS).fill(1);
  (bpe === 4 ? rt.exports.gemv_f32 : rt.exports.gemv_f64)(g.m, COL_BLOCKS, 1, parts, 1, g.m, ones, 1, g.beta, y, 1);
}

/** WASM `gemm_f32` (see js/gemm.ts for the meaning). @example gemmF32Wasm(args); */
export const gemmF32Wasm = (g: GemmArgs): void => gemm(g, 4);
/** WASM `gemm_f64`. @example gemmF64Wasm(args); */
export const gemmF64Wasm = (g: GemmArgs): void => gemm(g, 8);
/** WASM `gemv_f32`. @example gemvF32Wasm(args); */
export const gemvF32Wasm = (g: GemvArgs): void => gemv(g, 4);
/** WASM `gemv_f64`. @example gemvF64Wasm(args); */
export const gemvF64Wasm = (g: GemvArgs): void => gemv(g, 8);
