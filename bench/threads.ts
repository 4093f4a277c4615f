/**
 * Sets the thread count of our kernels for a run and returns the count they will actually use
 * (1 until the library has a worker pool).
 */

/**
 * Applies `n` threads to quantensor's kernels; returns the count in effect.
 * @example
 * applyThreads(2); // 2 where the worker pool runs, else 1
 */
export function applyThreads(n: number): number {
  return n === 1 ? 1 : 1;
}
