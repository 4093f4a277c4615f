/**
 * Storage: the bytes behind a tensor. When a WebAssembly heap is active (DESIGN.md decision 4) the
 * bytes live in its linear memory, so kernels read them in place, with no copy per call; otherwise in
 * an ArrayBuffer of their own (the JS backend). Typed array views are derived on every access, because
 * growing a wasm memory replaces its buffer: never keep a view across a call that may allocate.
 *
 * Not an allocator: `Heap` implementations (src/kernels/wasm/heap.ts) own the free lists.
 */
import { MemoryError } from '../errors.js';

/** An allocator over one WebAssembly memory, owned by TS. */
export interface Heap {
  readonly memory: WebAssembly.Memory;
  /** Returns a 16-byte aligned byte offset of `byteLength` bytes (contents undefined). */
  alloc(byteLength: number): number;
  /** Returns a block from `alloc` to the heap. */
  free(ptr: number): void;
}

/** Typed array types storage can be viewed as. */
export type TypedArray =
  | Float32Array
  | Float64Array
  | Uint16Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array;

/** A constructor of one of the `TypedArray` types. */
export interface TypedArrayCtor<T extends TypedArray = TypedArray> {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
  new (length: number): T;
  readonly BYTES_PER_ELEMENT: number;
}

let activeHeap: Heap | null = null;
let heapInit: (() => void) | null = null;

/**
 * Sets the heap new storage is allocated from (`null`: plain ArrayBuffers). Existing storage keeps
 * the heap it was allocated in. Called by the wasm backend when it is ready. An explicit call
 * cancels a pending `setHeapInit` callback.
 */
export function setHeap(heap: Heap | null): void {
  heapInit = null;
  activeHeap = heap;
}

/**
 * Registers a callback run once, on the first allocation (or `getHeap()`) after it was registered,
 * so a backend initialises lazily and calls `setHeap` before the first tensor is allocated
 * (src/kernels/backend.ts registers one when it is loaded).
 * @example
 * setHeapInit(() => setHeap(myHeap));
 */
export function setHeapInit(init: (() => void) | null): void {
  heapInit = init;
}

function resolveHeap(): Heap | null {
  if (heapInit) {
    const init = heapInit;
    heapInit = null;
    init();
  }
  return activeHeap;
}

/** The heap new storage is allocated from, or null for plain ArrayBuffers. */
export function getHeap(): Heap | null {
  return resolveHeap();
}

interface Held {
  heap: Heap;
  ptr: number;
}
const registry: FinalizationRegistry<Held> | null =
  typeof FinalizationRegistry === 'function' ? new FinalizationRegistry<Held>((h) => h.heap.free(h.ptr)) : null;

/**
 * A block of bytes, in a wasm heap or in an ArrayBuffer of its own.
 * @example
 * const s = Storage.alloc(16);
 * s.view(Float32Array)[0] = 1.5;
 * s.dispose();
 */
export class Storage {
  private own: ArrayBuffer | null;
  private disposedFlag = false;

  private constructor(
    /** Length in bytes. */
    readonly byteLength: number,
    /** The heap holding the bytes, or null when they are in an ArrayBuffer of their own. */
    readonly heap: Heap | null,
    /** Byte offset in the heap's memory (0 for own buffers). */
    readonly ptr: number,
    own: ArrayBuffer | null,
  ) {
    this.own = own;
  }

  /**
   * Allocates zeroed storage in the active heap (or an ArrayBuffer when none is active).
   * @param opts.heap `null` forces an ArrayBuffer, a Heap forces that heap.
   */
  static alloc(byteLength: number, opts: { zero?: boolean; heap?: Heap | null } = {}): Storage {
    if (!Number.isInteger(byteLength) || byteLength < 0) {
      throw new MemoryError(`cannot allocate ${byteLength} bytes`);
    }
    const heap = opts.heap === undefined ? resolveHeap() : opts.heap;
    if (!heap) return new Storage(byteLength, null, 0, new ArrayBuffer(byteLength));
    const ptr = heap.alloc(Math.max(byteLength, 1));
    const s = new Storage(byteLength, heap, ptr, null);
    registry?.register(s, { heap, ptr }, s);
    if (opts.zero !== false) zeroFill(heap.memory.buffer, ptr, byteLength);
    return s;
  }

  /** Allocates storage and copies the bytes of `src` into it. */
  static from(src: ArrayBufferView, opts: { heap?: Heap | null } = {}): Storage {
    const s = Storage.alloc(src.byteLength, { zero: false, heap: opts.heap });
    s.bytes().set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength));
    return s;
  }

  /** Whether `dispose()` was called. */
  get disposed(): boolean {
    return this.disposedFlag;
  }

  /** The buffer holding the bytes now (a wasm memory's buffer changes when it grows). */
  get buffer(): ArrayBufferLike {
    if (this.disposedFlag) throw new MemoryError(`storage of ${this.byteLength} bytes was disposed`);
    return this.heap ? this.heap.memory.buffer : (this.own as ArrayBuffer);
  }

  /** A Uint8Array over all the bytes (valid until the next allocation). */
  bytes(): Uint8Array {
    return new Uint8Array(this.buffer, this.ptr, this.byteLength);
  }

  /**
   * A typed array over `length` elements starting at element `offset` (valid until the next allocation).
   * @example
   * const f = s.view(Float32Array, 0, 4);
   */
  view<T extends TypedArray>(ctor: TypedArrayCtor<T>, offset = 0, length?: number): T {
    const n = length ?? Math.floor(this.byteLength / ctor.BYTES_PER_ELEMENT) - offset;
    if (offset < 0 || n < 0 || (offset + n) * ctor.BYTES_PER_ELEMENT > this.byteLength) {
      throw new MemoryError(
        `view of ${n} elements of ${ctor.BYTES_PER_ELEMENT} bytes at element ${offset} exceeds storage of ${this.byteLength} bytes`,
      );
    }
    return new ctor(this.buffer, this.ptr + offset * ctor.BYTES_PER_ELEMENT, n);
  }

  /** Frees the bytes now (idempotent). Later access throws `MemoryError`. */
  dispose(): void {
    if (this.disposedFlag) return;
    this.disposedFlag = true;
    if (this.heap) {
      registry?.unregister(this);
      this.heap.free(this.ptr);
    }
    this.own = null;
  }
}

/**
 * Zeroes `len` bytes at `ptr` of a heap's buffer. V8 fills a Uint8Array over a SharedArrayBuffer
 * (threaded wasm memory) byte by byte, about 1 GB/s on the bench machine; 8-byte words run 8x
 * faster, which GPTQ's per-block work buffers felt (0.8 s of a 4096² layer). Heap blocks are
 * 16-byte aligned, so only a ragged tail needs bytes.
 */
function zeroFill(buffer: ArrayBufferLike, ptr: number, len: number): void {
  const head = ptr % 8 === 0 ? Math.floor(len / 8) : 0;
  if (head > 0) new BigUint64Array(buffer, ptr, head).fill(0n);
  if (head * 8 < len) new Uint8Array(buffer, ptr + head * 8, len - head * 8).fill(0);
}
