/** ABI of assembly/pvq.ts: PVQ decode and decode-on-the-fly matmul. Empty until the family lands. */

/** Exports of the pvq family. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface PvqExports {}

/** Parameter count of every pvq export. */
export const PVQ_ARITY = {} as const satisfies Record<keyof PvqExports, number>;
