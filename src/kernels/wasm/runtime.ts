/**
 * A WebAssembly runtime: an instance of the kernel module plus the heap over its memory. Also the
 * marshalling of `Ref` operands into pointers: a ref whose storage lives in this heap is passed in
 * place; any other storage (an ArrayBuffer of its own, or a different heap) is copied into a
 * temporary block, and copied back after the call when the kernel writes it. That path is correct
 * but costs a copy per call: tensors created while the wasm backend is active never take it.
 *
 * Not the backend switch (src/kernels/backend.ts).
 */
import { MemoryError } from '../../errors.js';
import type { Ref } from '../ref.js';
import { WasmHeap } from './heap.js';
import { instantiateAsync, instantiateSync, type InstantiateOptions, type WasmInstance } from './module.js';

/** An instance and the heap that allocates in its memory. */
export interface WasmRuntime extends WasmInstance {
  readonly heap: WasmHeap;
}

function withHeap(inst: WasmInstance | null): WasmRuntime | null {
  return inst ? { ...inst, heap: new WasmHeap(inst.memory, inst.exports.heap_base()) } : null;
}

/**
 * Creates a runtime synchronously (null without SIMD128).
 * @example
 * const rt = createRuntimeSync();
 */
export function createRuntimeSync(opts: InstantiateOptions = {}): WasmRuntime | null {
  return withHeap(instantiateSync(opts));
}

/**
 * Creates a runtime asynchronously (null without SIMD128).
 * @example
 * const rt = await createRuntimeAsync();
 */
export async function createRuntimeAsync(opts: InstantiateOptions = {}): Promise<WasmRuntime | null> {
  return withHeap(await instantiateAsync(opts));
}

interface Temp {
  readonly ptr: number;
  readonly bytes: number;
  /** The ref to copy back into after the call, when the kernel writes it. */
  readonly back: Ref | null;
  readonly bpe: number;
}

/**
 * Turns refs into pointers for one kernel call. Use as
 * `const m = new Marshal(rt); try { ...m.in(...)...; m.commit(); } finally { m.release(); }`.
 * @example
 * const m = new Marshal(rt);
 * try {
 *   const x = m.in(xRef, 4, n);
 *   const y = m.inout(yRef, 4, n);
 *   rt.exports.some_kernel(x, y, n);
 *   m.commit();
 * } finally { m.release(); }
 */
export class Marshal {
  private readonly temps: Temp[] = [];

  constructor(private readonly rt: WasmRuntime) {}

  /** Pointer to `count` elements of `bpe` bytes the kernel only reads. */
  in(r: Ref, bpe: number, count: number): number {
    return this.ptr(r, bpe, count, false);
  }

  /** Pointer to `count` elements the kernel reads and/or writes (copied back by `commit`). */
  inout(r: Ref, bpe: number, count: number): number {
    return this.ptr(r, bpe, count, true);
  }

  /** A temporary block of `bytes` (16-byte aligned, contents undefined), freed by `release`. */
  scratch(bytes: number): number {
    const ptr = this.rt.heap.alloc(Math.max(bytes, 16));
    this.temps.push({ ptr, bytes: 0, back: null, bpe: 1 });
    return ptr;
  }

  /** Copies written temporaries back into their refs (call after the kernel returned). */
  commit(): void {
    for (const t of this.temps) {
      if (!t.back || t.bytes === 0) continue;
      const src = new Uint8Array(this.rt.memory.buffer, t.ptr, t.bytes);
      const r = t.back;
      new Uint8Array(r.storage.buffer, r.storage.ptr + r.offset * t.bpe, t.bytes).set(src);
    }
  }

  /** Frees every temporary (call in `finally`). */
  release(): void {
    for (const t of this.temps) this.rt.heap.free(t.ptr);
    this.temps.length = 0;
  }

  private ptr(r: Ref, bpe: number, count: number, write: boolean): number {
    const s = r.storage;
    if (s.disposed) throw new MemoryError(`kernel operand of ${s.byteLength} bytes was disposed`);
    if (!Number.isInteger(r.offset) || r.offset < 0 || (count > 0 && (r.offset + count) * bpe > s.byteLength)) {
      throw new MemoryError(
        `kernel operand of ${count} elements of ${bpe} bytes at element ${r.offset} exceeds its storage of ${s.byteLength} bytes`,
      );
    }
    if (s.heap === this.rt.heap) return s.ptr + r.offset * bpe;
    const bytes = count * bpe;
    const ptr = this.rt.heap.alloc(Math.max(bytes, 16));
    this.temps.push({ ptr, bytes, back: write ? r : null, bpe });
    if (bytes > 0) {
      new Uint8Array(this.rt.memory.buffer, ptr, bytes).set(new Uint8Array(s.buffer, s.ptr + r.offset * bpe, bytes));
    }
    return ptr;
  }
}
