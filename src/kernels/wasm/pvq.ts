/**
 * WASM side of the PVQ kernels (assembly/pvq.ts): builds the u64 count table V(d, k) in the heap,
 * marshals `Ref`s into pointers and splits output rows over threads (each row's result is computed
 * by the same operations whatever the split). Same signatures and meaning as src/kernels/js/pvq.ts.
 * Indices wider than 64 bits (V(dim, pulses) > 2^64) have no WASM path: those calls run the JS
 * reference, which defines the same result.
 */
import { wasmRuntime } from '../backend.js';
import { pvqDequantF32, pvqMatmulF32, type PvqDequantArgs, type PvqMatmulArgs, type PvqWeightArgs } from '../js/pvq.js';
import { pvqCountTable } from '../../dtype/pvq/count.js';
import { MIN_WORK_PER_THREAD, parallelRows } from '../threads.js';
import { Marshal } from './runtime.js';

/** Pointers of the weight operands and the count table. */
function weightPtrs(mm: Marshal, g: PvqWeightArgs): { codes: number; scales: number; levels: number; table: number } {
  const t = pvqCountTable(g.dim, g.pulses);
  const flat = new BigUint64Array((g.dim + 1) * (g.pulses + 1));
  for (let d = 0; d <= g.dim; d++) for (let k = 0; k <= g.pulses; k++) flat[d * (g.pulses + 1) + k] = t.big[d][k];
  const table = mm.scratch(flat.byteLength);
  const codes = mm.in(g.codes, 1, g.rows * g.rowBytes);
  const scales = mm.in(g.scales, 4, g.rows);
  const levels = mm.in(g.levels, 4, 2 ** g.ampBits);
  // Views after every allocation (memory growth detaches them).
  new BigUint64Array(wasmRuntime().memory.buffer, table, flat.length).set(flat);
  return { codes, scales, levels, table };
}

/**
 * Scratch of one kernel call (assembly/pvq.ts): a group's non-zeros (8 · dim bytes), the group as
 * dense f32 (16 · ceil(dim / 4) bytes) and the √n table (f64, n = 0 .. pulses²).
 */
const scratchBytes = (g: PvqWeightArgs): number => 8 * g.dim + 16 * Math.ceil(g.dim / 4) + 8 * (g.pulses * g.pulses + 1);

/** Group decodes (≈ dim + pulses steps each) worth one thread. */
const minRows = (g: PvqWeightArgs, m: number): number => MIN_WORK_PER_THREAD / Math.max(1, (g.cols / g.dim) * (g.dim + g.pulses + m * g.pulses));

/**
 * `pvq_matmul_f32` on the WASM backend.
 * @example
 * pvqMatmulF32Wasm({ ...weight, m: 1, x, out });
 */
export function pvqMatmulF32Wasm(g: PvqMatmulArgs): void {
  if (g.indexBits > 64) return pvqMatmulF32(g);
  if (g.rows === 0 || g.m === 0) return;
  const rt = wasmRuntime();
  const mm = new Marshal(rt);
  try {
    const w = weightPtrs(mm, g);
    const x = mm.in(g.x, 4, g.m * g.cols);
    const out = mm.inout(g.out, 4, g.m * g.rows);
    parallelRows('pvq_matmul_f32', g.rows, (r0, r1) => [
      r1 - r0, g.cols, g.dim, g.pulses, g.ampBits, g.indexBits,
      w.codes + r0 * g.rowBytes, g.rowBytes, w.scales + r0 * 4, w.levels, w.table,
      g.m, x, out + r0 * 4, g.rows, mm.scratch(scratchBytes(g)),
    ], { minRowsPerThread: minRows(g, g.m) });
    mm.commit();
  } finally {
    mm.release();
  }
}

/**
 * `pvq_dequant_f32` on the WASM backend.
 * @example
 * pvqDequantF32Wasm({ ...weight, out });
 */
export function pvqDequantF32Wasm(g: PvqDequantArgs): void {
  if (g.indexBits > 64) return pvqDequantF32(g);
  if (g.rows === 0) return;
  const rt = wasmRuntime();
  const mm = new Marshal(rt);
  try {
    const w = weightPtrs(mm, g);
    const out = mm.inout(g.out, 4, g.rows * g.cols);
    parallelRows('pvq_dequant_f32', g.rows, (r0, r1) => [
      r1 - r0, g.cols, g.dim, g.pulses, g.ampBits, g.indexBits,
      w.codes + r0 * g.rowBytes, g.rowBytes, w.scales + r0 * 4, w.levels, w.table,
      out + r0 * g.cols * 4, mm.scratch(scratchBytes(g)),
    ], { minRowsPerThread: minRows(g, 1) });
    mm.commit();
  } finally {
    mm.release();
  }
}
