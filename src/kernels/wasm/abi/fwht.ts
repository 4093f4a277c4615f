/** ABI of assembly/fwht.ts: fast Walsh-Hadamard transform. Empty until the family lands. */

/** Exports of the fwht family. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface FwhtExports {}

/** Parameter count of every fwht export. */
export const FWHT_ARITY = {} as const satisfies Record<keyof FwhtExports, number>;
