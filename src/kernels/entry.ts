/** The shape of one kernel-table row: a JS reference and, when one exists, a WASM version. */

/** A kernel: its JS reference and an optional WASM version of the same type. */
export interface KernelEntry<F> {
  readonly js: F;
  readonly wasm?: F;
}

/**
 * A table row (the WASM version is left out when there is none).
 * @example
 * const row = entry(gemmF32, gemmF32Wasm);
 */
export const entry = <F>(js: F, wasm?: F): KernelEntry<F> => (wasm ? { js, wasm } : { js });
