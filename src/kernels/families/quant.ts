/** Kernel-table rows of the quant family (see src/kernels/table.ts). */
import { entry } from '../entry.js';
import { qdequantF32, qmatmulF32, qmatmulI8 } from '../js/quant.js';
import { qdequantF32Wasm, qmatmulF32Wasm, qmatmulI8Wasm } from '../wasm/quant.js';

/** Packed-weight dequantize and matmul (f32 or int8 activations) for every quantized dtype. */
export const QUANT_KERNELS = {
  qdequant_f32: entry(qdequantF32, qdequantF32Wasm),
  qmatmul_f32: entry(qmatmulF32, qmatmulF32Wasm),
  qmatmul_i8: entry(qmatmulI8, qmatmulI8Wasm),
} as const;
