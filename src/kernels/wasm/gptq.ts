/**
 * WASM side of the GPTQ column-step kernels (assembly/gptq.ts): marshals `Ref`s into pointers. One
 * thread: the steps are sequential, and a 4096-row column is ~40 µs of work. Same signatures and
 * meaning as src/kernels/js/gptq.ts.
 */
import { wasmRuntime } from '../backend.js';
import type { GptqAffineArgs, GptqTableArgs } from '../js/gptq.js';
import { Marshal } from './runtime.js';

/** Marshals the operands both kernels share, then calls `run` with their pointers. */
function steps(g: GptqAffineArgs, gridRows: number, run: (mm: Marshal, w: number, e: number, u: number, grid: number, codes: number) => number): number {
  if (g.a1 <= g.a0 || g.rows === 0) return g.loss;
  const mm = new Marshal(wasmRuntime());
  try {
    const n = g.nb * g.rows;
    const w = mm.inout(g.w, 8, n);
    const e = mm.inout(g.e, 8, n);
    const u = mm.in(g.u, 8, g.nb * g.nb);
    const grid = mm.in(g.grid, 8, gridRows * g.rows);
    const codes = mm.inout(g.codes, 1, (g.a1 - g.a0) * g.rows);
    const loss = run(mm, w, e, u, grid, codes);
    mm.commit();
    return loss;
  } finally {
    mm.release();
  }
}

/**
 * `gptq_affine_f64` on the WASM backend.
 * @example
 * const loss = gptqAffineF64Wasm(args); // args as for gptqAffineF64
 */
export function gptqAffineF64Wasm(g: GptqAffineArgs): number {
  const x = wasmRuntime().exports;
  return steps(g, 4, (_, w, e, u, grid, codes) => x.gptq_affine_f64(g.rows, g.nb, g.a0, g.a1, g.kEnd, w, e, u, grid, codes, g.loss));
}

/**
 * `gptq_table_f64` on the WASM backend.
 * @example
 * const loss = gptqTableF64Wasm(args); // args as for gptqTableF64
 */
export function gptqTableF64Wasm(g: GptqTableArgs): number {
  const x = wasmRuntime().exports;
  return steps(g, 3, (mm, w, e, u, grid, codes) =>
    x.gptq_table_f64(g.rows, g.nb, g.a0, g.a1, g.kEnd, w, e, u, grid, mm.in(g.table, 8, 4 * g.nv), g.nv, codes, g.loss),
  );
}
