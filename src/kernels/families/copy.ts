/** Kernel-table rows of the copy family (see src/kernels/table.ts). */
import { entry } from '../entry.js';
import { copy2dF32F64, copy2dF64F32, copy2dF64F64 } from '../js/copy.js';
import { copy2dF32F64Wasm, copy2dF64F32Wasm, copy2dF64F64Wasm } from '../wasm/copy.js';

/** 2-D strided copies with a change of element type (transposes among them). */
export const COPY_KERNELS = {
  copy2d_f32_f64: entry(copy2dF32F64, copy2dF32F64Wasm),
  copy2d_f64_f32: entry(copy2dF64F32, copy2dF64F32Wasm),
  copy2d_f64_f64: entry(copy2dF64F64, copy2dF64F64Wasm),
} as const;
