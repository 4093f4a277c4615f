/** Kernel-table rows of the fwht family (see src/kernels/table.ts). Empty until the family lands. */

/** Fast Walsh-Hadamard transform. */
export const FWHT_KERNELS = {} as const;
