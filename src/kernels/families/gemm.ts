/** Kernel-table rows of the gemm family (see src/kernels/table.ts). */
import { entry } from '../entry.js';
import { gemmF32, gemmF64, gemvF32, gemvF64 } from '../js/gemm.js';
import { gemmF32Wasm, gemmF64Wasm, gemvF32Wasm, gemvF64Wasm } from '../wasm/gemm.js';

/** f32/f64 GEMM and GEMV. */
export const GEMM_KERNELS = {
  gemm_f32: entry(gemmF32, gemmF32Wasm),
  gemm_f64: entry(gemmF64, gemmF64Wasm),
  gemv_f32: entry(gemvF32, gemvF32Wasm),
  gemv_f64: entry(gemvF64, gemvF64Wasm),
} as const;
