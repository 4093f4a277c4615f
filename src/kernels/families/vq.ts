/** Kernel-table rows of the vq family (see src/kernels/table.ts). Empty until the family lands. */

/** Vector-quantization helpers. */
export const VQ_KERNELS = {} as const;
