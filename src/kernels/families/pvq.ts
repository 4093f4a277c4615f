/** Kernel-table rows of the pvq family (see src/kernels/table.ts). */
import { entry } from '../entry.js';
import { pvqDequantF32, pvqMatmulF32 } from '../js/pvq.js';
import { pvqDequantF32Wasm, pvqMatmulF32Wasm } from '../wasm/pvq.js';

/** PVQ decode and decode-on-the-fly matmul. */
export const PVQ_KERNELS = {
  pvq_dequant_f32: entry(pvqDequantF32, pvqDequantF32Wasm),
  pvq_matmul_f32: entry(pvqMatmulF32, pvqMatmulF32Wasm),
} as const;
