/**
 * WASM side of the copy2d kernels (assembly/copy.ts): marshals `Ref`s into pointers. One thread (a
 * copy is memory-bound and GPTQ's blocks are 0.5M elements). Same signatures and meaning as
 * src/kernels/js/copy.ts. Source and destination must not overlap.
 */
import { wasmRuntime } from '../backend.js';
import type { Copy2dArgs } from '../js/copy.js';
import { matrixExtent } from '../ref.js';
import { Marshal } from './runtime.js';

function copy2d(g: Copy2dArgs, fn: 'copy2d_f32_f64' | 'copy2d_f64_f32' | 'copy2d_f64_f64', sb: 4 | 8, db: 4 | 8): void {
  if (g.rows === 0 || g.cols === 0) return;
  const rt = wasmRuntime();
  const mm = new Marshal(rt);
  try {
    const src = mm.in(g.src, sb, matrixExtent(g.rows, g.cols, g.rss, g.css));
    const dst = mm.inout(g.dst, db, matrixExtent(g.rows, g.cols, g.rsd, g.csd));
    rt.exports[fn](g.rows, g.cols, src, g.rss, g.css, dst, g.rsd, g.csd);
    mm.commit();
  } finally {
    mm.release();
  }
}

/** WASM `copy2d_f32_f64`. @example copy2dF32F64Wasm(args); */
export const copy2dF32F64Wasm = (g: Copy2dArgs): void => copy2d(g, 'copy2d_f32_f64', 4, 8);
/** WASM `copy2d_f64_f32`. @example copy2dF64F32Wasm(args); */
export const copy2dF64F32Wasm = (g: Copy2dArgs): void => copy2d(g, 'copy2d_f64_f32', 8, 4);
/** WASM `copy2d_f64_f64`. @example copy2dF64F64Wasm(args); */
export const copy2dF64F64Wasm = (g: Copy2dArgs): void => copy2d(g, 'copy2d_f64_f64', 8, 8);
