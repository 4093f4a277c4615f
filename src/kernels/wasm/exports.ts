/**
 * The typed interface of the kernel module's exports (pointer-and-count ABI: pointers are byte
 * offsets into the shared memory, counts and strides are in elements). `WASM_EXPORT_ARITY` lists
 * every export with its parameter count; the loader and a test check the instance against it, so
 * an AS signature change that is not mirrored here fails loudly instead of misreading arguments.
 *
 * Not the kernels' TS signatures: those take `Ref`s and live in src/kernels/table.ts.
 */

/** Exports of build/quantensor.wasm. */
export interface WasmExports {
  /** First byte above the module's static data. */
  heap_base(): number;
}

/** Parameter count of every export (functions only; `memory` is the imported memory re-exported). */
export const WASM_EXPORT_ARITY = {
  heap_base: 0,
} as const satisfies Record<keyof WasmExports, number>;
