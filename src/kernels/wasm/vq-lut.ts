/**
 * WASM side of the LUT matmul (assembly/vq.ts, vq_lut_f32 and vq_gather_f32): per token, the table
 * is built once on the calling thread (ceil(cols / dim) · 2^bits entries, small next to the gathers),
 * then the output rows are split over threads, all reading the one table in the shared memory. Every
 * output is computed by the same instructions whatever the split. Same signature and meaning as
 * src/kernels/js/vq-lut.ts.
 */
import { wasmRuntime } from '../backend.js';
import { vectorsPerGroup, type VqMatmulArgs } from '../js/vq-lut.js';
import { view } from '../ref.js';
import { MIN_WORK_PER_THREAD, parallelRows } from '../threads.js';
import { Marshal } from './runtime.js';

/** Scratch of one vq_gather_f32 range: running sums and outputs of a 128-row tile (assembly/vq.ts VQ_TILE). */
const GATHER_STATE_BYTES = 2 * 128 * 4;

/**
 * `vq_matmul_f32` on the WASM backend.
 * @example
 * vqMatmulF32Wasm({ ...args, m: 1, x, rsx: cols, y, rsy: rows, r0: 0, r1: rows });
 */
export function vqMatmulF32Wasm(a: VqMatmulArgs): void {
  const n = a.r1 - a.r0;
  if (a.m === 0 || n <= 0) return;
  const rt = wasmRuntime();
  const mm = new Marshal(rt);
  try {
    const e = 1 << a.bits;
    const nk = Math.ceil(a.cols / a.dim);
    const vpg = vectorsPerGroup(a);
    // The codebook transposed to (dim, e): four entries per v128 load in vq_lut_f32.
    const bookT = mm.scratch(e * a.dim * 4);
    const book = view(a.codebook, Float32Array); // after the allocation, which may grow the memory
    const bt = new Float32Array(rt.memory.buffer, bookT, e * a.dim);
    for (let c = 0; c < e; c++) for (let t = 0; t < a.dim; t++) bt[t * e + c] = book[a.codebook.offset + c * a.dim + t];
    const codes = mm.in({ storage: a.codes.storage, offset: a.codes.offset + a.r0 * a.rowBytes }, 1, n * a.rowBytes);
    const srow = a.scaleStride === 0 ? 0 : a.r0;
    const scales = a.scales ? mm.in({ storage: a.scales.storage, offset: a.scales.offset + srow * a.scaleStride }, 4, a.scaleStride === 0 ? a.nGroups : n * a.scaleStride) : 0;
    const x = mm.in(a.x, 4, (a.m - 1) * a.rsx + a.cols);
    const y = mm.inout({ storage: a.y.storage, offset: a.y.offset + a.r0 }, 4, (a.m - 1) * a.rsy + n);
    const lut = mm.scratch(nk * e * 4);
    const ex = rt.exports;
    for (let i = 0; i < a.m; i++) {
      ex.vq_lut_f32(a.cols, a.dim, e, x + i * a.rsx * 4, bookT, lut);
      const yi = y + i * a.rsy * 4;
      parallelRows('vq_gather_f32', n, (r0, r1) => [a.bits, nk, codes, a.rowBytes, scales, a.scaleStride, vpg, a.nGroups, lut, yi, r0, r1, mm.scratch(GATHER_STATE_BYTES)], {
        minRowsPerThread: MIN_WORK_PER_THREAD / Math.max(1, nk),
      });
    }
    mm.commit();
  } finally {
    mm.release();
  }
}
