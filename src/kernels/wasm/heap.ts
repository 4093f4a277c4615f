/**
 * The TS-owned allocator over the ONE WebAssembly.Memory (DESIGN.md decision 4). Blocks are 16-byte
 * aligned (one v128) and live above the module's static data (`__heap_base`). Freed blocks go to an
 * address-ordered free list and coalesce with their neighbours; a free block that touches the top is
 * given back to the bump pointer, so a loop that allocates and frees reuses the same bytes instead of
 * growing memory. Allocation is best fit over the free list, then bump; memory grows (by at least
 * 1/8 of its size, to amortise) only when neither fits.
 *
 * Not thread-safe: only the main thread allocates; worker threads only read and write blocks they are
 * handed. Not a garbage collector: `Storage.dispose()` and its FinalizationRegistry call `free`.
 */
import { MemoryError } from '../../errors.js';
import type { Heap } from '../../memory/storage.js';

const ALIGN = 16;
const PAGE = 65536;
/** wasm32: 65536 pages of 64 KiB. */
const MAX_BYTES = 65536 * PAGE;

const align = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

/** Counters of a heap, for tests and diagnostics. */
export interface HeapStats {
  /** Bytes of the memory (grows, never shrinks). */
  readonly capacity: number;
  /** The bump pointer: everything at or above it is unused. */
  readonly top: number;
  /** Bytes in live blocks. */
  readonly used: number;
  /** Bytes in free-list blocks (below `top`). */
  readonly free: number;
  readonly liveBlocks: number;
  readonly freeBlocks: number;
}

/**
 * A `Heap` over a WebAssembly.Memory.
 * @example
 * const heap = new WasmHeap(new WebAssembly.Memory({ initial: 1, maximum: 65536 }), 1024);
 * const p = heap.alloc(100);   // 16-byte aligned, >= 1024
 * heap.free(p);
 */
export class WasmHeap implements Heap {
  /** First allocatable byte. */
  readonly base: number;
  private top: number;
  /** Free blocks, sorted by address, never adjacent to each other nor to `top`. */
  private readonly freePtr: number[] = [];
  private readonly freeSize: number[] = [];
  /** Live block sizes by address. */
  private readonly live = new Map<number, number>();
  private usedBytes = 0;

  constructor(
    readonly memory: WebAssembly.Memory,
    /** The module's `__heap_base`. */
    heapBase: number,
  ) {
    this.base = align(Math.max(heapBase, ALIGN));
    this.top = this.base;
  }

  alloc(byteLength: number): number {
    if (!(byteLength >= 0) || !Number.isFinite(byteLength)) throw new MemoryError(`cannot allocate ${byteLength} bytes`);
    const size = align(Math.max(byteLength, 1));
    const ptr = this.takeFree(size) ?? this.bump(size);
    this.live.set(ptr, size);
    this.usedBytes += size;
    return ptr;
  }

  free(ptr: number): void {
    const size = this.live.get(ptr);
    if (size === undefined) throw new MemoryError(`free of ${ptr}, which is not a live block of this heap`);
    this.live.delete(ptr);
    this.usedBytes -= size;
    this.insertFree(ptr, size);
  }

  /** Size in bytes of the live block at `ptr` (after alignment), or undefined. */
  blockSize(ptr: number): number | undefined {
    return this.live.get(ptr);
  }

  stats(): HeapStats {
    let free = 0;
    for (const s of this.freeSize) free += s;
    return {
      capacity: this.memory.buffer.byteLength,
      top: this.top,
      used: this.usedBytes,
      free,
      liveBlocks: this.live.size,
      freeBlocks: this.freePtr.length,
    };
  }

  /** Best fit from the free list (splitting the block), or null. */
  private takeFree(size: number): number | null {
    let best = -1;
    for (let i = 0; i < this.freeSize.length; i++) {
      const s = this.freeSize[i];
      if (s >= size && (best < 0 || s < this.freeSize[best])) {
        best = i;
        if (s === size) break;
      }
    }
    if (best < 0) return null;
    const ptr = this.freePtr[best];
    const rest = this.freeSize[best] - size;
    if (rest > 0) {
      this.freePtr[best] = ptr + size;
      this.freeSize[best] = rest;
    } else {
      this.freePtr.splice(best, 1);
      this.freeSize.splice(best, 1);
    }
    return ptr;
  }

  private bump(size: number): number {
    const ptr = this.top;
    const end = ptr + size;
    if (end > MAX_BYTES) {
      throw new MemoryError(`cannot allocate ${size} bytes: the wasm heap would exceed 4 GiB (top at ${ptr} bytes)`);
    }
    const cap = this.memory.buffer.byteLength;
    if (end > cap) {
      const need = Math.ceil((end - cap) / PAGE);
      const want = Math.min(Math.max(need, Math.ceil(cap / PAGE / 8)), MAX_BYTES / PAGE - cap / PAGE);
      try {
        this.memory.grow(want);
      } catch {
        try {
          this.memory.grow(need);
        } catch (e) {
          throw new MemoryError(`cannot allocate ${size} bytes: growing the wasm memory from ${cap} bytes failed (${(e as Error).message})`);
        }
      }
    }
    this.top = end;
    return ptr;
  }

  private insertFree(ptr: number, size: number): void {
    const fp = this.freePtr;
    const fs = this.freeSize;
    // Index of the first free block above ptr (binary search).
    let lo = 0;
    let hi = fp.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (fp[mid] < ptr) lo = mid + 1;
      else hi = mid;
    }
    let start = ptr;
    let end = ptr + size;
    let at = lo;
    if (at > 0 && fp[at - 1] + fs[at - 1] === start) {
      at--;
      start = fp[at];
      fp.splice(at, 1);
      fs.splice(at, 1);
    }
    if (at < fp.length && fp[at] === end) {
      end += fs[at];
      fp.splice(at, 1);
      fs.splice(at, 1);
    }
    if (end === this.top) {
      this.top = start;
      return;
    }
    fp.splice(at, 0, start);
    fs.splice(at, 0, end - start);
  }
}
