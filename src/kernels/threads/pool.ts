/**
 * A pool of kernel worker threads over the ONE shared WebAssembly.Memory (DESIGN.md decision 5).
 * `run(items)` wakes workers, claims items from a shared counter on the calling thread too, then
 * polls a shared counter (up to LAYOUT.JOIN_SPIN_MS, then blocks in Atomics.wait, allowed on Node's
 * main thread) until every woken worker is done, so the kernel API stays synchronous. Only workers that finished starting take tasks; a worker that
 * failed to start is simply never used.
 *
 * Not the split policy (src/kernels/threads.ts) and not thread-safe itself: only the main thread
 * dispatches, one dispatch at a time (kernels never call kernels re-entrantly).
 */
import { WASM_EXPORT_ARITY, type WasmExports } from '../wasm/exports.js';
import type { WasmRuntime } from '../wasm/runtime.js';
import type { WorkerHandle, Spawner } from './spawn.js';
import { LAYOUT, type WorkerInit } from './worker-source.js';

/** Name of a function export of the kernel module. */
export type WasmFnName = keyof WasmExports;

/** One call of a kernel export with its numeric arguments (pointers, counts, strides, scalars). */
export interface WasmCall {
  readonly fn: WasmFnName;
  readonly args: readonly number[];
}

/** Doubles of call arguments one dispatch may carry over all workers (1 MiB). */
const ARG_CAPACITY = 1 << 17;

/** Whether this thread may block in Atomics.wait (browsers' main threads may not: they spin). */
function canBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

const NAMES = Object.keys(WASM_EXPORT_ARITY) as WasmFnName[];
const INDEX = new Map<string, number>(NAMES.map((n, i) => [n, i]));

/**
 * Worker threads sharing one runtime's memory.
 * @example
 * const pool = new WorkerPool(rt, 1, rt.module, defaultSpawner()!.spawn);
 * pool.waitReady(10_000);
 * pool.run([[{ fn: 'gemv_f32', args: top }], [{ fn: 'gemv_f32', args: bottom }]]);
 * pool.close();
 */
export class WorkerPool {
  private readonly ctrl: Int32Array;
  private readonly args: Float64Array;
  private readonly err: Uint8Array;
  private readonly workers: WorkerHandle[] = [];
  private readonly blocking: boolean;
  private busy = false;
  private closed = false;
  /** Slots of the workers that are up, once all are (then it never changes). */
  private allUp: number[] | null = null;
  /** Errors workers raised outside a call (e.g. failing to start), for diagnostics. */
  readonly startErrors: unknown[] = [];
  /** Dispatches that woke at least one worker (diagnostics, tests). */
  readonly stats = { dispatches: 0 };

  /**
   * Starts `size` workers instantiating the kernel module against `rt.memory` (shared): `code` is
   * the compiled module or its bytes (workers then compile it), without active data segments (see
   * passive-data.ts). `blocking` (default: whether this thread may Atomics.wait) chooses between
   * sleeping and spinning while workers run.
   */
  constructor(
    readonly rt: WasmRuntime,
    readonly size: number,
    code: WebAssembly.Module | Uint8Array,
    spawn: Spawner,
    blocking = canBlock(),
  ) {
    this.blocking = blocking;
    this.ctrl = new Int32Array(new SharedArrayBuffer((LAYOUT.SLOT0 + size * LAYOUT.SLOT) * 4));
    this.args = new Float64Array(new SharedArrayBuffer(ARG_CAPACITY * 8));
    this.err = new Uint8Array(new SharedArrayBuffer(Math.max(1, size) * LAYOUT.ERRBYTES));
    for (let index = 0; index < size; index++) {
      const init: WorkerInit = {
        module: code instanceof Uint8Array ? null : code,
        bytes: code instanceof Uint8Array ? code : null,
        memory: rt.memory,
        ctrl: this.ctrl.buffer as SharedArrayBuffer,
        args: this.args.buffer as SharedArrayBuffer,
        err: this.err.buffer as SharedArrayBuffer,
        names: NAMES,
        index,
      };
      this.workers.push(spawn(init, (e) => this.startErrors.push(e)));
    }
  }

  /** Number of workers that are up (instantiated and waiting for calls). */
  readyCount(): number {
    return Atomics.load(this.ctrl, LAYOUT.READY);
  }

  /** Blocks until every worker is up or `timeoutMs` passed; returns how many are up. */
  waitReady(timeoutMs: number): number {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const n = Atomics.load(this.ctrl, LAYOUT.READY);
      const left = deadline - Date.now();
      if (n >= this.size || left <= 0 || !this.blocking) return n;
      Atomics.wait(this.ctrl, LAYOUT.READY, n, left);
    }
  }

  /** Slots of the workers that can take a task now. */
  private upSlots(): number[] {
    if (this.allUp) return this.allUp;
    const up: number[] = [];
    for (let w = 0; w < this.size; w++) if (Atomics.load(this.ctrl, LAYOUT.SLOT0 + w * LAYOUT.SLOT + LAYOUT.UP) === 1) up.push(w);
    if (up.length === this.size) this.allUp = up;
    return up;
  }

  /** Threads a dispatch can use now: the calling thread plus the workers that are up. */
  threads(): number {
    return this.closed ? 1 : 1 + this.upSlots().length;
  }

  /**
   * Runs every item (a list of calls run in order) and returns when all are done. The calling
   * thread and min(items - 1, workers up) workers claim items in order from a shared counter, so
   * any item may run on any thread and a late thread just runs fewer. Throws the first error (the
   * calling thread's, else a worker's) after every item has finished, so scratch memory the
   * caller frees afterwards is no longer in use.
   */
  run(items: readonly (readonly WasmCall[])[]): void {
    if (this.busy) throw new Error('kernel thread pool re-entered: a kernel dispatch is already running');
    if (this.closed) throw new Error('kernel thread pool is closed');
    const slots = this.upSlots().slice(0, Math.max(0, items.length - 1));
    this.busy = true;
    try {
      // Item offsets first, then the items.
      let p = items.length;
      if (p > ARG_CAPACITY) throw new Error(`kernel thread pool: more than ${ARG_CAPACITY} items in one dispatch`);
      for (let i = 0; i < items.length; i++) {
        this.args[i] = p;
        p = this.reserve(p, 1);
        this.args[p - 1] = items[i].length;
        for (const call of items[i]) p = this.encode(call, p);
      }
      this.ctrl[LAYOUT.NITEMS] = items.length;
      Atomics.store(this.ctrl, LAYOUT.NEXT, 0);
      Atomics.store(this.ctrl, LAYOUT.PENDING, slots.length);
      if (slots.length > 0) this.stats.dispatches++;
      for (const w of slots) {
        const base = LAYOUT.SLOT0 + w * LAYOUT.SLOT;
        this.ctrl[base + LAYOUT.STATUS] = 0;
        Atomics.add(this.ctrl, base + LAYOUT.SEQ, 1);
        Atomics.notify(this.ctrl, base + LAYOUT.SEQ);
      }
      let first: unknown = null;
      const ex = this.rt.exports as unknown as Record<string, (...a: number[]) => unknown>;
      for (;;) {
        const i = Atomics.add(this.ctrl, LAYOUT.NEXT, 1);
        if (i >= items.length) break;
        try {
          for (const call of items[i]) ex[call.fn](...call.args);
        } catch (e) {
          first ??= e;
        }
      }
      this.join();
      if (first) throw first;
      for (const w of slots) {
        const base = LAYOUT.SLOT0 + w * LAYOUT.SLOT;
        if (this.ctrl[base + LAYOUT.STATUS] !== 0) {
          const bytes = this.err.slice(w * LAYOUT.ERRBYTES, w * LAYOUT.ERRBYTES + this.ctrl[base + LAYOUT.ERRLEN]);
          throw new Error(`kernel worker ${w} failed: ${new TextDecoder().decode(bytes)}`);
        }
      }
    } finally {
      this.busy = false;
    }
  }

  /** Items run by workers since the pool started. */
  workerItems(): number {
    return Atomics.load(this.ctrl, LAYOUT.WITEMS);
  }

  /** Stops every worker (they exit their loop; terminate() ends them even if stuck). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (let w = 0; w < this.size; w++) {
      const base = LAYOUT.SLOT0 + w * LAYOUT.SLOT;
      this.ctrl[base + LAYOUT.EXIT] = 1;
      Atomics.add(this.ctrl, base + LAYOUT.SEQ, 1);
      Atomics.notify(this.ctrl, base + LAYOUT.SEQ);
    }
    for (const w of this.workers) w.terminate();
  }

  private reserve(p: number, n: number): number {
    if (p + n > ARG_CAPACITY) throw new Error(`kernel thread pool: one dispatch carries more than ${ARG_CAPACITY} arguments`);
    return p + n;
  }

  private encode(call: WasmCall, p: number): number {
    const idx = INDEX.get(call.fn);
    if (idx === undefined) throw new Error(`kernel thread pool: ${call.fn} is not an export of the kernel module`);
    const argc = call.args.length;
    this.reserve(p, 2 + argc);
    this.args[p] = idx;
    this.args[p + 1] = argc;
    for (let i = 0; i < argc; i++) this.args[p + 2 + i] = call.args[i];
    return p + 2 + argc;
  }

  /** Waits until the pending counter is zero (blocking where allowed, spinning elsewhere). */
  private join(): void {
    // Spin first (LAYOUT.JOIN_SPIN_MS): the workers usually finish about when the calling thread
    // does, and waking from Atomics.wait costs tens of microseconds.
    const until = performance.now() + LAYOUT.JOIN_SPIN_MS;
    for (let i = 1; Atomics.load(this.ctrl, LAYOUT.PENDING) !== 0; i++) if ((i & 63) === 0 && performance.now() > until) break;
    for (;;) {
      const v = Atomics.load(this.ctrl, LAYOUT.PENDING);
      if (v === 0) return;
      if (this.blocking) Atomics.wait(this.ctrl, LAYOUT.PENDING, v);
    }
  }
}
