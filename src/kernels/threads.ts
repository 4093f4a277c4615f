/**
 * Threads (DESIGN.md decision 5): `setThreads(n)` runs the WASM kernels on n threads, the calling
 * thread plus n - 1 worker threads that instantiate the same compiled module against the one shared
 * WebAssembly.Memory, so tensors are never copied to a worker. Kernels split their work by output
 * rows (GEMM, GEMV and TRSM in src/kernels/wasm/*, packed GEMV and dequantize through
 * `parallelRows`; SYRK, Cholesky, triangular and Cholesky inverse replay their blocked algorithms
 * over threads in threads/linalg.ts; a dense GEMV over contiguous columns shares out fixed column
 * blocks and adds their partial sums in a fixed order, src/kernels/wasm/gemm.ts). Every element is
 * computed by exactly the same instruction sequence whatever the split, so results are
 * bit-identical for any thread count.
 *
 * Where threads run (threads/spawn.ts):
 * - Node (>= 20.16, for `process.getBuiltinModule`), and runtimes implementing `node:worker_threads`
 *   the same way (Bun 1.4 and Deno 2.9 do: test/runtimes/run.ts): worker_threads started from
 *   embedded source (`eval`), unref'd so they never keep a process alive. `setThreads` waits until
 *   the workers are up (tens of ms).
 * - Browsers (and a Deno without `process.getBuiltinModule`) when `crossOriginIsolated`: Workers
 *   from a Blob URL of the same source. They start after the page yields: `await threadsReady()`.
 *   The calling thread spins instead of Atomics.wait while workers run (a page's main thread may
 *   not block). Checked in headless
 *   Chromium by test/kernels/threads-browser.ts (run by hand: it needs /usr/bin/chromium) and in
 *   vitest through a Node shim of the Web Worker API.
 * - Anywhere else (no workers, a page without cross-origin isolation, a memory that is not shared,
 *   no WebAssembly SIMD): one thread. The JS reference kernels always run on the calling thread.
 *
 * The public kernel API stays synchronous: the calling thread wakes the workers, works through
 * the ranges with them (each thread claims the next range from a shared counter, so a worker that
 * wakes late or is descheduled costs little), then polls a shared counter, and after a while blocks
 * on it (Atomics.wait), until the workers are done; idle workers likewise poll for the next dispatch
 * a little before they sleep (the times: LAYOUT in threads/worker-source.ts). Only the calling thread
 * allocates; workers only read and write the blocks they are handed. Memory growth needs nothing
 * special: a shared memory grows in place and every instance sees the new size.
 *
 * Not the kernels' meaning (src/kernels/js/*) and not the backend switch (backend.ts).
 */
import { ValueError } from '../errors.js';
import { wasmAvailable, wasmRuntime } from './backend.js';
import { prepareBinary } from './wasm/module.js';
import type { WasmRuntime } from './wasm/runtime.js';
import { passiveDataBinary } from './threads/passive-data.js';
import { WorkerPool, type WasmCall, type WasmFnName } from './threads/pool.js';
import { defaultSpawner } from './threads/spawn.js';

export type { WasmCall, WasmFnName } from './threads/pool.js';

/**
 * Multiply-adds (or elements, for memory-bound kernels) below which a thread is not worth waking:
 * waking a worker and joining it costs 30-100 µs (measured on a 2-core VM).
 */
export const MIN_WORK_PER_THREAD = 1 << 18;

/** Most threads `setThreads` accepts. */
export const MAX_THREADS = 256;

/** How long `setThreads` waits for workers to start before going on with those that are up. */
const START_TIMEOUT_MS = 10_000;

let pool: WorkerPool | null = null;

/**
 * The number of hardware threads this runtime reports (Node's `os.availableParallelism`, a
 * browser's `navigator.hardwareConcurrency`), or 1.
 * @example
 * setThreads(hardwareThreads());
 */
export function hardwareThreads(): number {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const os = proc?.getBuiltinModule?.('node:os') as { availableParallelism?: () => number; cpus?: () => unknown[] } | undefined;
  const n = os?.availableParallelism?.() ?? os?.cpus?.().length ?? (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return typeof n === 'number' && n >= 1 ? Math.floor(n) : 1;
}

/**
 * What workers instantiate: the module without active data segments. Node gets it compiled (the
 * runtime's own module when there is nothing to neutralise); browsers get the bytes, because their
 * main thread may not compile synchronously and each worker can.
 */
function workerCode(rt: WasmRuntime, kind: 'node' | 'web'): WebAssembly.Module | Uint8Array {
  const { bytes } = prepareBinary(true, rt.relaxed);
  const passive = passiveDataBinary(bytes);
  if (kind === 'web') return passive;
  return passive === bytes ? rt.module : new WebAssembly.Module(passive as BufferSource);
}

/**
 * Runs the WASM kernels on `n` threads from now on (the calling thread plus n - 1 workers) and
 * returns the number of threads actually available: 1 where threads are not supported (see the
 * header) or when WebAssembly SIMD is unavailable. `setThreads(1)` stops the workers. Results do not
 * depend on the thread count. The JS reference kernels always run on the calling thread.
 * @throws ValueError unless n is an integer in [1, MAX_THREADS]
 * @example
 * setThreads(2);
 * matmul(a, b); // GEMM rows split over 2 threads
 * setThreads(1);
 */
export function setThreads(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new ValueError(`setThreads: n must be an integer in [1, ${MAX_THREADS}], got ${n}`);
  }
  // Asking again for the pool that runs is free (no restart).
  if (pool && n > 1 && pool.size === n - 1 && pool.threads() === n && wasmAvailable() && pool.rt === wasmRuntime()) return n;
  if (pool) {
    pool.close();
    pool = null;
  }
  if (n === 1 || !wasmAvailable()) return 1;
  const rt = wasmRuntime();
  const spawner = defaultSpawner();
  if (!rt.shared || !spawner) return 1;
  pool = new WorkerPool(rt, n - 1, workerCode(rt, spawner.kind), spawner.spawn);
  // Node workers start while this thread blocks; a browser's start only after the page yields.
  if (spawner.kind === 'node') pool.waitReady(START_TIMEOUT_MS);
  return pool.threads();
}

/**
 * Resolves, with `getThreads()`, once every worker of the last `setThreads` is up (or after 10 s).
 * In Node `setThreads` already waited; in a browser this is how a page waits for its workers
 * (until then kernels run on the workers that are up, results unchanged).
 * @example
 * setThreads(navigator.hardwareConcurrency);
 * await threadsReady();
 */
export async function threadsReady(): Promise<number> {
  const p = pool;
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (p && p === pool && p.readyCount() < p.size && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 5));
  }
  return getThreads();
}

/**
 * The number of threads WASM kernels split their work over now (1 without workers).
 * @example
 * getThreads(); // 1 until setThreads(n)
 */
export function getThreads(): number {
  return pool ? pool.threads() : 1;
}

/** Counters of the current worker pool (zeros without one). */
export interface ThreadStats {
  /** Threads kernels split over now (as `getThreads()`). */
  readonly threads: number;
  /** Kernel dispatches that woke workers since they started. */
  readonly dispatches: number;
  /** Items (ranges, groups of calls) the workers ran; the calling thread ran the others. */
  readonly workerItems: number;
}

/**
 * How much work went to worker threads since the workers started (for diagnostics and tests:
 * a kernel below its work threshold stays on the calling thread).
 * @example
 * setThreads(2); matmul(a, b); threadStats().dispatches; // 1 for a large enough product
 */
export function threadStats(): ThreadStats {
  return { threads: getThreads(), dispatches: pool?.stats.dispatches ?? 0, workerItems: pool?.workerItems() ?? 0 };
}

/** The pool when it belongs to the runtime now in use. */
function activePool(): WorkerPool | null {
  if (!pool) return null;
  if (pool.rt !== wasmRuntime()) {
    // The runtime was replaced (ready() instantiated a new one): workers map a stale memory.
    pool.close();
    pool = null;
  }
  return pool;
}

/**
 * Runs items (each a list of kernel calls, run in order) concurrently and returns when all are
 * done. Threads claim items in order from a shared counter (the calling thread included), so any
 * item may run on any thread and a thread that starts late runs fewer: items must be independent,
 * each with its own scratch. Any number of items; with one thread they run in order here. The
 * low-level entry under `parallelRows`, for splits that are not one call per range (SYRK runs
 * two calls per block row).
 * @example
 * runParallel([[{ fn: 'gemv_f32', args: argsTop }], [{ fn: 'gemv_f32', args: argsBottom }]]);
 */
export function runParallel(items: readonly (readonly WasmCall[])[]): void {
  const p = activePool();
  if (!p || items.length <= 1 || p.threads() <= 1) {
    const ex = wasmRuntime().exports as unknown as Record<string, (...a: number[]) => unknown>;
    for (const item of items) for (const call of item) ex[call.fn](...call.args);
    return;
  }
  p.run(items);
}

/**
 * Splits [0, total) into at most `parts` contiguous, non-empty ranges of nearly equal length whose
 * inner boundaries are multiples of `align`.
 * @example
 * splitRange(10, 3, 4); // [[0, 4], [4, 8], [8, 10]]
 */
export function splitRange(total: number, parts: number, align = 1): [number, number][] {
  const granules = Math.ceil(total / align);
  const p = Math.max(1, Math.min(parts, granules));
  const out: [number, number][] = [];
  for (let i = 0; i < p; i++) {
    const g0 = Math.floor((granules * i) / p);
    const g1 = Math.floor((granules * (i + 1)) / p);
    if (g1 > g0) out.push([g0 * align, Math.min(total, g1 * align)]);
  }
  return out;
}

/**
 * Ranges `parallelRows` cuts per thread (when the rows allow): more ranges than threads let a
 * thread that runs ahead (or a worker that wakes late) even out the work, at the cost of one
 * scratch block and one packing of the shared operand per range.
 */
export const RANGES_PER_THREAD = 2;

/** Options of `parallelRows`. */
export interface ParallelRowsOptions {
  /**
   * Fewest rows worth a thread (default 1): a kernel passes about MIN_WORK_PER_THREAD divided by
   * the work per row, so small problems stay on one thread.
   */
  readonly minRowsPerThread?: number;
  /**
   * Every range but the last starts and ends on a multiple of `align` (default 1). A kernel that
   * processes rows in groups (GEMV: 4 rows share each load of x, leftover rows take another loop
   * with another summation order) passes its group size, so each row is computed the same way
   * whatever the split, which is what makes results independent of the thread count.
   */
  readonly align?: number;
}

/**
 * Runs the kernel export `fn` over the output rows [0, rows) split into contiguous ranges
 * (RANGES_PER_THREAD per thread, none smaller than `minRowsPerThread`) that the threads share out,
 * and returns when all ranges are done. `argsFor(r0, r1)` returns the export's full argument
 * list for rows [r0, r1): typically the row count `r1 - r0` and the operand pointers advanced by
 * `r0` rows (`ptr + r0 * rowStride * bytesPerElement`), plus per-range scratch. It is called on the
 * calling thread, once per range, before any range starts, so it may allocate (e.g. `Marshal.scratch`)
 * and the allocations stay valid until `parallelRows` returns.
 *
 * Contract for `fn`: ranges must write disjoint memory (each range only its own output rows) and
 * must not depend on each other's output; scratch must be per range. Each call must be
 * self-contained: module globals (AS top-level `let`) are per instance, so a worker does not see
 * state a previous call left on another thread (an export that sets its globals from its own
 * arguments, like the quant kernels' current-weight globals, is fine). The module must never
 * allocate (the stub runtime's bump pointer is per instance too). To make results independent of
 * the thread count, a row's arithmetic must not depend on where its range starts (see `align`).
 * With one thread (or fewer rows than `minRowsPerThread` allows to split) this is exactly
 * `exports[fn](...argsFor(0, rows))`.
 *
 * The quantized GEMV splits like this (src/kernels/wasm/quant.ts):
 * @example
 * parallelRows('gemv_f32', m, (r0, r1) => [r1 - r0, n, alpha, a + r0 * rsa * 4, rsa, csa, x, incx, beta, y + r0 * incy * 4, incy],
 *   { align: 4, minRowsPerThread: Math.ceil(MIN_WORK_PER_THREAD / n) });
 */
export function parallelRows(fn: WasmFnName, rows: number, argsFor: (r0: number, r1: number) => number[], opts: ParallelRowsOptions = {}): void {
  const align = Math.max(1, Math.floor(opts.align ?? 1));
  const minRows = Math.max(1, Math.ceil(opts.minRowsPerThread ?? 1));
  const threads = getThreads();
  const parts = threads > 1 && rows > 0 ? Math.min(threads * RANGES_PER_THREAD, Math.floor(rows / minRows)) : 1;
  const ranges = parts > 1 ? splitRange(rows, parts, align) : [[0, rows] as [number, number]];
  runParallel(ranges.map(([r0, r1]) => [{ fn, args: argsFor(r0, r1) }]));
}
