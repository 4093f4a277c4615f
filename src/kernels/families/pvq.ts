/** Kernel-table rows of the pvq family (see src/kernels/table.ts). Empty until the family lands. */

/** PVQ decode and decode-on-the-fly matmul. */
export const PVQ_KERNELS = {} as const;
