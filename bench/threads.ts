/**
 * Sets the thread count of our kernels for a benchmark run (src/kernels/threads.ts `setThreads`) and
 * returns the count in effect, so a run never labels single-threaded numbers as two-threaded.
 */
import { setThreads } from '../src/kernels/threads.js';

/**
 * Applies `n` threads to quantensor's WASM kernels; returns the count the worker pool provides.
 * @example
 * applyThreads(2); // 2 in Node with SharedArrayBuffer-backed wasm memory, else 1
 */
export function applyThreads(n: number): number {
  return setThreads(n);
}
