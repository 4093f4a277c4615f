/**
 * WASM side of the FWHT kernel (assembly/fwht.ts): marshals `Ref`s into pointers and splits rows over
 * threads (each row is transformed independently, so the split does not change any result). Same
 * signature and meaning as src/kernels/js/fwht.ts.
 */
import { wasmRuntime } from '../backend.js';
import type { FwhtArgs } from '../js/fwht.js';
import { matrixExtent } from '../ref.js';
import { MIN_WORK_PER_THREAD, parallelRows } from '../threads.js';
import { Marshal } from './runtime.js';

/**
 * `fwht_f32` on the WASM backend.
 * @example
 * fwhtF32Wasm({ rows: 1, n: 4, x: refOf(Float32Array.of(1, 0, 0, 0)), rsx: 4, scale: 0.5 });
 */
export function fwhtF32Wasm(g: FwhtArgs): void {
  if (g.rows === 0 || g.n === 0) return;
  const rt = wasmRuntime();
  const mm = new Marshal(rt);
  try {
    const x = mm.inout(g.x, 4, matrixExtent(g.rows, g.n, g.rsx, 1));
    const si = g.signsIn ? mm.in(g.signsIn, 4, g.n) : 0;
    const so = g.signsOut ? mm.in(g.signsOut, 4, g.n) : 0;
    const logn = Math.log2(g.n);
    parallelRows('fwht_f32', g.rows, (r0, r1) => [r1 - r0, g.n, x + r0 * g.rsx * 4, g.rsx, si, so, g.scale], {
      minRowsPerThread: MIN_WORK_PER_THREAD / Math.max(1, g.n * logn),
    });
    mm.commit();
  } finally {
    mm.release();
  }
}
