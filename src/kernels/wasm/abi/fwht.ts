/** ABI of assembly/fwht.ts: fast Walsh–Hadamard transform of f32 rows, in place. */

/** Exports of the fwht family. */
export interface FwhtExports {
  /** x: f32 (rows, n) row stride rsx; signsIn/signsOut: f32 (n) pointers or 0; n a power of two. */
  fwht_f32(rows: number, n: number, x: number, rsx: number, signsIn: number, signsOut: number, scale: number): void;
}

/** Parameter count of every fwht export. */
export const FWHT_ARITY = {
  fwht_f32: 7,
} as const satisfies Record<keyof FwhtExports, number>;
