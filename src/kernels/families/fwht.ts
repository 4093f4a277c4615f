/** Kernel-table rows of the fwht family (see src/kernels/table.ts). */
import { entry } from '../entry.js';
import { fwhtF32 } from '../js/fwht.js';
import { fwhtF32Wasm } from '../wasm/fwht.js';

/** Fast Walsh–Hadamard transform of f32 rows, in place. */
export const FWHT_KERNELS = {
  fwht_f32: entry(fwhtF32, fwhtF32Wasm),
} as const;
