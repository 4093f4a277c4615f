/** Kernel-table rows of the gptq family (see src/kernels/table.ts). */
import { entry } from '../entry.js';
import { gptqAffineF64, gptqTableF64 } from '../js/gptq.js';
import { gptqAffineF64Wasm, gptqTableF64Wasm } from '../wasm/gptq.js';

/** GPTQ's column steps with error feedback on a scalar grid (the scalar GPTQ loop's inner part). */
export const GPTQ_KERNELS = {
  gptq_affine_f64: entry(gptqAffineF64, gptqAffineF64Wasm),
  gptq_table_f64: entry(gptqTableF64, gptqTableF64Wasm),
} as const;
