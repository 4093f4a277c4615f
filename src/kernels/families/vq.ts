/** Kernel-table rows of the vq family (see src/kernels/table.ts). */
import { entry } from '../entry.js';
import { vqNearestF32 } from '../js/vq.js';
import { vqNearestF32Wasm } from '../wasm/vq.js';
import { vqMatmulF32 } from '../js/vq-lut.js';
import { vqMatmulF32Wasm } from '../wasm/vq-lut.js';

/** Weighted nearest-centroid search (VQ k-means and encoding) and the LUT matmul of a codebook weight. */
export const VQ_KERNELS = {
  vq_nearest_f32: entry(vqNearestF32, vqNearestF32Wasm),
  vq_matmul_f32: entry(vqMatmulF32, vqMatmulF32Wasm),
} as const;
