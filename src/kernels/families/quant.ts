/** Kernel-table rows of the quant family (see src/kernels/table.ts). Empty until the family lands. */

/** Packed-weight matmul and dequantize for every quantized dtype. */
export const QUANT_KERNELS = {} as const;
