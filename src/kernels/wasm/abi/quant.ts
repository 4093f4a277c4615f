/** ABI of assembly/quant*.ts: packed-weight matmul (GEMV/GEMM) and dequantize for every quantized dtype. Empty until the family lands. */

/** Exports of the quant family. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface QuantExports {}

/** Parameter count of every quant export. */
export const QUANT_ARITY = {} as const satisfies Record<keyof QuantExports, number>;
