/** Kernel-table rows of the vq family (see src/kernels/table.ts). */
import { entry } from '../entry.js';
import { vqNearestF32 } from '../js/vq.js';
import { vqNearestF32Wasm } from '../wasm/vq.js';

/** Weighted nearest-centroid search (VQ k-means and encoding). */
export const VQ_KERNELS = {
  vq_nearest_f32: entry(vqNearestF32, vqNearestF32Wasm),
} as const;
