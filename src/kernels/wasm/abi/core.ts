/** ABI of assembly/runtime.ts: the static-data boundary. */

/** Exports of the core family. */
export interface CoreExports {
  /** First byte above the module's static data. */
  heap_base(): number;
}

/** Parameter count of every core export. */
export const CORE_ARITY = {
  heap_base: 0,
} as const satisfies Record<keyof CoreExports, number>;
