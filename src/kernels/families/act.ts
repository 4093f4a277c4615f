/** Kernel-table rows of the activation family (see src/kernels/table.ts). */
import { entry } from '../entry.js';
import { causalSoftmaxF32, swigluF32 } from '../js/act.js';
import { causalSoftmaxF32Wasm, swigluF32Wasm } from '../wasm/act.js';

/** The forward pass's causal softmax and SwiGLU, f32 with one exp for both backends. */
export const ACT_KERNELS = {
  causal_softmax_f32: entry(causalSoftmaxF32, causalSoftmaxF32Wasm),
  swiglu_f32: entry(swigluF32, swigluF32Wasm),
} as const;
