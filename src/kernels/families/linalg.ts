/** Kernel-table rows of the linalg family (see src/kernels/table.ts). */
import { entry } from '../entry.js';
import {
  choleskyF32,
  choleskyF64,
  choleskyInverseF32,
  choleskyInverseF64,
  syrkF32,
  syrkF64,
  triInvF32,
  triInvF64,
  trsmF32,
  trsmF64,
} from '../js/linalg.js';
import {
  choleskyF32Wasm,
  choleskyF64Wasm,
  choleskyInverseF32Wasm,
  choleskyInverseF64Wasm,
  syrkF32Wasm,
  syrkF64Wasm,
  triInvF32Wasm,
  triInvF64Wasm,
  trsmF32Wasm,
  trsmF64Wasm,
} from '../wasm/linalg.js';

/** Cholesky, triangular solve and inverse, SYRK, SPD inverse (f32 and f64). */
export const LINALG_KERNELS = {
  cholesky_f32: entry(choleskyF32, choleskyF32Wasm),
  cholesky_f64: entry(choleskyF64, choleskyF64Wasm),
  trsm_f32: entry(trsmF32, trsmF32Wasm),
  trsm_f64: entry(trsmF64, trsmF64Wasm),
  tri_inv_f32: entry(triInvF32, triInvF32Wasm),
  tri_inv_f64: entry(triInvF64, triInvF64Wasm),
  syrk_f32: entry(syrkF32, syrkF32Wasm),
  syrk_f64: entry(syrkF64, syrkF64Wasm),
  cholesky_inverse_f32: entry(choleskyInverseF32, choleskyInverseF32Wasm),
  cholesky_inverse_f64: entry(choleskyInverseF64, choleskyInverseF64Wasm),
} as const;
