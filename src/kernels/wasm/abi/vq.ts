/** ABI of assembly/vq.ts: vector-quantization helpers (nearest-centroid search). Empty until the family lands. */

/** Exports of the vq family. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface VqExports {}

/** Parameter count of every vq export. */
export const VQ_ARITY = {} as const satisfies Record<keyof VqExports, number>;
