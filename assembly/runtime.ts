/**
 * Runtime facts the TS side needs from the module: where static data ends. Not an allocator: the
 * module runs with the stub runtime and never allocates; the TS heap (src/kernels/wasm/heap.ts)
 * hands out memory above `__heap_base` and passes pointers in.
 */

/** First byte above the module's static data (16-byte aligned by the compiler). */
export function heap_base(): usize {
  return __heap_base;
}
