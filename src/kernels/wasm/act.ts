/**
 * WASM side of the activation kernels (assembly/act.ts): marshals `Ref`s into pointers. One thread
 * (each call is a few hundred thousand elements of the forward pass). Same signatures and meaning
 * as src/kernels/js/act.ts.
 */
import { wasmRuntime } from '../backend.js';
import type { CausalSoftmaxArgs, SwigluArgs } from '../js/act.js';
import { matrixExtent } from '../ref.js';
import { Marshal } from './runtime.js';

/** WASM `causal_softmax_f32`. @example causalSoftmaxF32Wasm({ s, r0: 0, r1: 512, cols: 512, rs: 512 }); */
export function causalSoftmaxF32Wasm(g: CausalSoftmaxArgs): void {
  if (g.r1 <= g.r0 || g.cols <= 0) return;
  const rt = wasmRuntime();
  const mm = new Marshal(rt);
  try {
    const s = mm.inout(g.s, 4, matrixExtent(g.r1 - g.r0, g.cols, g.rs, 1));
    rt.exports.causal_softmax_f32(s, g.r0, g.r1, g.cols, g.rs);
    mm.commit();
  } finally {
    mm.release();
  }
}

/** WASM `swiglu_f32`. @example swigluF32Wasm({ g, u, n }); */
export function swigluF32Wasm(a: SwigluArgs): void {
  if (a.n <= 0) return;
  const rt = wasmRuntime();
  const mm = new Marshal(rt);
  try {
    const u = mm.in(a.u, 4, a.n);
    const g = mm.inout(a.g, 4, a.n);
    rt.exports.swiglu_f32(g, u, a.n);
    mm.commit();
  } finally {
    mm.release();
  }
}
