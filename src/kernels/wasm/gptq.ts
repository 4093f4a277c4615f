/**
 * WASM side of the GPTQ column-step kernel (assembly/gptq.ts): marshals `Ref`s into pointers. One
 * thread: the steps are sequential, and a 4096-row column is ~30 µs of work. Same signature and
 * meaning as src/kernels/js/gptq.ts.
 */
import { wasmRuntime } from '../backend.js';
import type { GptqAffineArgs } from '../js/gptq.js';
import { Marshal } from './runtime.js';

/**
 * `gptq_affine_f64` on the WASM backend.
 * @example
 * const loss = gptqAffineF64Wasm(args); // args as for gptqAffineF64
 */
export function gptqAffineF64Wasm(g: GptqAffineArgs): number {
  if (g.a1 <= g.a0 || g.rows === 0) return g.loss;
  const rt = wasmRuntime();
  const mm = new Marshal(rt);
  try {
    const n = g.nb * g.rows;
    const w = mm.inout(g.w, 8, n);
    const e = mm.inout(g.e, 8, n);
    const u = mm.in(g.u, 8, g.nb * g.nb);
    const grid = mm.in(g.grid, 8, 4 * g.rows);
    const codes = mm.inout(g.codes, 1, (g.a1 - g.a0) * g.rows);
    const loss = rt.exports.gptq_affine_f64(g.rows, g.nb, g.a0, g.a1, g.kEnd, w, e, u, grid, codes, g.loss);
    mm.commit();
    return loss;
  } finally {
    mm.release();
  }
}
