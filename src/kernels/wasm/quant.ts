/**
 * WASM side of the packed-weight kernels: turns `Ref`s into pointers (runtime.ts `Marshal`),
 * allocates scratch and calls the exports of assembly/quant.ts. Same signatures and meaning as
 * src/kernels/js/quant.ts. `qmatmul_f32` takes the fused GEMV loops for few tokens and the
 * decode-a-slab-then-GEMM path for many (GEMM_MIN_TOKENS). The tokens are prepared once per call
 * (qprep_f32 / qprep_i8 / qprep_gemm_f32), then every call is split by output rows over
 * the threads (`parallelRows`, one scratch per range); each row is computed by the same instruction
 * sequence whatever the split, so results do not depend on the thread count.
 */
import { matrixExtent } from '../ref.js';
import { wasmRuntime } from '../backend.js';
import type { QDequantArgs, QMatmulArgs, QWeightArgs } from '../js/quant.js';
import { MIN_WORK_PER_THREAD, parallelRows } from '../threads.js';
import { Marshal } from './runtime.js';

/**
 * From this many tokens on, qmatmul_f32 decodes W once per slab and runs the dense GEMM engine
 * (measured crossover on a 1024 x 4096 weight: about 10 tokens for int4, 6 for nf4).
 */
export const GEMM_MIN_TOKENS = 8;

const MODE = { gemv: 0, gemm: 1, i8: 2, dequant: 3, prepF32: 4, prepI8: 5, prepGemm: 6 } as const;

/** The weight's part of every quant export's arguments. */
type Twelve = [number, number, number, number, number, number, number, number, number, number, number, number];

/** The 12 weight arguments every quant export starts with, as pointers. */
function weightArgs(mm: Marshal, w: QWeightArgs): Twelve {
  const scaleCount = (w.scaleStride === 0 ? 1 : w.n) * w.nGroups;
  const codes = mm.in(w.codes, 1, w.n * w.rowBytes);
  const scales = w.scales ? mm.in(w.scales, 4, scaleCount) : 0;
  const zeros = w.zeros ? mm.in(w.zeros, 1, scaleCount) : 0;
  const table = w.table ? mm.in(w.table, 4, (1 << w.bits) * w.vectorDim) : 0;
  return [w.kind, w.bits, w.k, codes, w.rowBytes, scales, w.scaleStride, zeros, w.groupSize, w.nGroups, table, w.vectorDim];
}

/** WASM `qdequant_f32` (see js/quant.ts for the meaning). @example qdequantF32Wasm(args); */
export function qdequantF32Wasm(a: QDequantArgs): void {
  if (a.r1 <= a.r0) return;
  const rt = wasmRuntime();
  const e = rt.exports;
  const mm = new Marshal(rt);
  try {
    const w = weightArgs(mm, a);
    const out = mm.inout(a.out, 4, a.n * a.k);
    const bytes = e.qmatmul_scratch(MODE.dequant, 1, a.k, a.groupSize, a.nGroups);
    parallelRows('qdequant_f32', a.r1 - a.r0, (r0, r1) => [...w, out, a.r0 + r0, a.r0 + r1, mm.scratch(bytes)], {
      minRowsPerThread: Math.ceil(MIN_WORK_PER_THREAD / Math.max(1, a.k)),
    });
    mm.commit();
  } finally {
    mm.release();
  }
}

function matmul(a: QMatmulArgs, mode: 0 | 1 | 2): void {
  if (a.r1 <= a.r0 || a.m === 0) return;
  const rt = wasmRuntime();
  const e = rt.exports;
  const mm = new Marshal(rt);
  try {
    const w = weightArgs(mm, a);
    const x = mm.in(a.x, 4, matrixExtent(a.m, a.k, a.rsx, 1));
    const y = mm.inout(a.y, 4, matrixExtent(a.m, a.n, a.rsy, 1));
    const bytes = e.qmatmul_scratch(mode, a.m, a.k, a.groupSize, a.nGroups);
    const opts = { align: 4, minRowsPerThread: Math.ceil(MIN_WORK_PER_THREAD / Math.max(1, a.k * a.m)) };
    if (mode === MODE.gemm) {
      // the tokens are packed once here, then read by every row range
      const prep = mm.scratch(e.qmatmul_scratch(MODE.prepGemm, a.m, a.k, a.groupSize, a.nGroups));
      e.qprep_gemm_f32(a.m, a.k, x, a.rsx, prep);
      parallelRows('qgemm_f32', a.r1 - a.r0, (r0, r1) => [...w, a.m, y, a.rsy, a.r0 + r0, a.r0 + r1, mm.scratch(bytes), prep], opts);
    } else {
      // the tokens are prepared once here, then read by every row range
      const i8 = mode === MODE.i8;
      const prep = mm.scratch(e.qmatmul_scratch(i8 ? MODE.prepI8 : MODE.prepF32, a.m, a.k, a.groupSize, a.nGroups));
      if (i8) {
        e.qprep_i8(...w, a.m, x, a.rsx, prep);
        parallelRows('qgemv_i8', a.r1 - a.r0, (r0, r1) => [...w, a.m, y, a.rsy, a.r0 + r0, a.r0 + r1, mm.scratch(bytes), prep], opts);
      } else {
        e.qprep_f32(...w, a.m, x, a.rsx, prep);
        parallelRows('qgemv_f32', a.r1 - a.r0, (r0, r1) => [...w, a.m, x, a.rsx, y, a.rsy, a.r0 + r0, a.r0 + r1, mm.scratch(bytes), prep], opts);
      }
    }
    mm.commit();
  } finally {
    mm.release();
  }
}

/** WASM `qmatmul_f32`: fused GEMV below GEMM_MIN_TOKENS tokens, slab GEMM from there. @example qmatmulF32Wasm(args); */
export function qmatmulF32Wasm(a: QMatmulArgs): void {
  matmul(a, a.m >= GEMM_MIN_TOKENS ? MODE.gemm : MODE.gemv);
}

/** WASM `qmatmul_i8` (affine weights, int8 activations; bit-exact with the reference). @example qmatmulI8Wasm(args); */
export function qmatmulI8Wasm(a: QMatmulArgs): void {
  if (a.kind !== 0) throw new Error('qmatmul_i8 serves affine weights only');
  matmul(a, MODE.i8);
}

/** Forces one WASM path of qmatmul_f32 (benchmarks and parity tests). @example qmatmulF32WasmPath(args, 'gemm'); */
export function qmatmulF32WasmPath(a: QMatmulArgs, path: 'gemv' | 'gemm'): void {
  matmul(a, MODE[path]);
}
