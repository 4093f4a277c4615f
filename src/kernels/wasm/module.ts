/**
 * Loader of the embedded kernel module (DESIGN.md decisions 3 and 6): decodes the generated base64,
 * feature-detects SIMD128, creates the ONE WebAssembly.Memory every tensor and kernel shares
 * (shared when the runtime allows SharedArrayBuffer, so worker threads can map it later) and
 * instantiates the module against it, synchronously (Node, Deno, Bun, workers) or asynchronously
 * (browsers' main thread refuses synchronous compilation of large modules).
 *
 * Not the backend switch (src/kernels/backend.ts) and not the allocator (heap.ts).
 */
import { WASM_BASE64, WASM_RELAXED_BASE64 } from './binary.generated.js';
import { WASM_EXPORT_ARITY, type WasmExports } from './exports.js';

/** A live instance: its typed exports and the memory it was instantiated with. */
export interface WasmInstance {
  readonly exports: WasmExports;
  /** The compiled module (worker threads instantiate it again against the same shared memory). */
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  /** Whether `memory` is backed by a SharedArrayBuffer. */
  readonly shared: boolean;
  /** Whether this is the relaxed-SIMD build (see `useRelaxedSimd` in src/kernels/backend.ts). */
  readonly relaxed: boolean;
}

/** How to instantiate: shared memory (default: where allowed) and the relaxed-SIMD build (default: no). */
export interface InstantiateOptions {
  shared?: boolean;
  /** Use the relaxed-SIMD build where the runtime validates it (else the SIMD128 one). */
  relaxed?: boolean;
}

/** wasm32 addresses at most 65536 pages of 64 KiB (4 GiB). */
export const MAX_PAGES = 65536;
/** Pages a fresh memory starts with above the module's static data (grown on demand). */
const INITIAL_EXTRA_PAGES = 16;

/**
 * The smallest module using a SIMD128 instruction (i8x16.popcnt of a splat), after
 * wasm-feature-detect's probe: `WebAssembly.validate` on it tells whether SIMD128 is supported.
 */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

/** Whether WebAssembly with SIMD128 is available in this runtime. */
export function hasSimd(): boolean {
  try {
    return typeof WebAssembly === 'object' && typeof WebAssembly.validate === 'function' && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

/** A module whose one function uses f32x4.relaxed_madd on three splats: the relaxed-SIMD probe. */
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 19, 1, 17, 0, 65, 1, 253, 15, 65, 2, 253, 15, 65, 3, 253,
  15, 253, 133, 2, 11,
]);

/**
 * Whether relaxed SIMD is available (Node 22+, Chrome 114+; Node 20 with --experimental-wasm-relaxed-simd).
 * @example
 * if (hasRelaxedSimd()) useRelaxedSimd();
 */
export function hasRelaxedSimd(): boolean {
  try {
    return hasSimd() && WebAssembly.validate(RELAXED_PROBE);
  } catch {
    return false;
  }
}

/** Whether a shared WebAssembly.Memory can be created (SharedArrayBuffer exists and is allowed). */
export function canShareMemory(): boolean {
  if (typeof SharedArrayBuffer !== 'function') return false;
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true } as WebAssembly.MemoryDescriptor);
    return true;
  } catch {
    return false;
  }
}

function decodeBase64(b64: string): Uint8Array {
  const B = (globalThis as { Buffer?: { from(s: string, enc: string): Uint8Array } }).Buffer;
  if (B) return new Uint8Array(B.from(b64, 'base64'));
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * Reads an unsigned LEB128 number of the wasm binary format at `pos`; returns it and the position after it.
 * @example
 * readLeb(Uint8Array.of(0xe5, 0x8e, 0x26), 0); // [624485, 3]
 */
export function readLeb(bytes: Uint8Array, pos: number): [value: number, next: number] {
  let result = 0;
  let mul = 1;
  for (;;) {
    const b = bytes[pos++];
    result += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) return [result, pos];
    mul *= 128;
  }
}

/** Where the memory import's limits sit in the binary. */
interface MemoryImport {
  /** Byte offset of the limits flags (bit 0: has maximum, bit 1: shared). */
  readonly flagsAt: number;
  /** Declared minimum pages (the module's static data). */
  readonly minPages: number;
}

/** Finds the `env.memory` import by walking the import section (wasm binary format, section 2). */
export function findMemoryImport(bytes: Uint8Array): MemoryImport {
  let pos = 8;
  while (pos < bytes.length) {
    const id = bytes[pos++];
    const [size, body] = readLeb(bytes, pos);
    if (id === 2) {
      let [count, p] = readLeb(bytes, body);
      for (; count > 0; count--) {
        for (let s = 0; s < 2; s++) {
          const [len, q] = readLeb(bytes, p);
          p = q + len;
        }
        const kind = bytes[p++];
        if (kind === 0) [, p] = readLeb(bytes, p);
        else if (kind === 1) {
          p++; // reftype
          const flags = bytes[p++];
          [, p] = readLeb(bytes, p);
          if (flags & 1) [, p] = readLeb(bytes, p);
        } else if (kind === 2) {
          const flagsAt = p;
          const [minPages] = readLeb(bytes, p + 1);
          return { flagsAt, minPages };
        } else if (kind === 3) p += 2;
        else if (kind === 4) [, p] = readLeb(bytes, p + 1);
        else break;
      }
    }
    pos = body + size;
  }
  throw new Error('quantensor wasm module has no memory import');
}

/**
 * The module bytes and memory limits for this runtime. The binary is built with a shared memory
 * import; where shared memory is unavailable (browsers without cross-origin isolation) the shared
 * bit of the import's limits is cleared, which is the only difference between the two variants:
 * the kernels use no atomics.
 */
export function prepareBinary(shared: boolean, relaxed = false): { bytes: Uint8Array; minPages: number } {
  const bytes = decodeBase64(relaxed ? WASM_RELAXED_BASE64 : WASM_BASE64);
  const imp = findMemoryImport(bytes);
  if (!shared) bytes[imp.flagsAt] &= ~2;
  return { bytes, minPages: imp.minPages };
}

function makeMemory(minPages: number, shared: boolean): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: minPages + INITIAL_EXTRA_PAGES, maximum: MAX_PAGES, shared } as WebAssembly.MemoryDescriptor);
}

/** What both instantiations share: the build's bytes and a fresh memory for them (null without SIMD128). */
interface Plan {
  readonly bytes: Uint8Array;
  readonly memory: WebAssembly.Memory;
  readonly shared: boolean;
  readonly relaxed: boolean;
}

function plan(opts: InstantiateOptions): Plan | null {
  if (!hasSimd()) return null;
  const shared = opts.shared ?? canShareMemory();
  const relaxed = opts.relaxed === true && hasRelaxedSimd();
  const { bytes, minPages } = prepareBinary(shared, relaxed);
  return { bytes, memory: makeMemory(minPages, shared), shared, relaxed };
}

function wrap(module: WebAssembly.Module, instance: WebAssembly.Instance, { memory, shared, relaxed }: Plan): WasmInstance {
  const exports = instance.exports as unknown as WasmExports;
  for (const [name, arity] of Object.entries(WASM_EXPORT_ARITY)) {
    const f = (exports as unknown as Record<string, unknown>)[name];
    if (typeof f !== 'function' || (f as (...a: unknown[]) => unknown).length !== arity) {
      throw new Error(`quantensor wasm export ${name} is missing or does not take ${arity} arguments; rebuild with npm run build:wasm`);
    }
  }
  return { exports, module, memory, shared, relaxed };
}

/**
 * Instantiates the module synchronously (fine in Node, Deno, Bun and workers; a browser's main
 * thread throws a RangeError for modules over 4 KB, then use `instantiateAsync`).
 * Returns null when SIMD128 is unavailable.
 * @example
 * const inst = instantiateSync();
 * inst?.exports.heap_base();
 */
export function instantiateSync(opts: InstantiateOptions = {}): WasmInstance | null {
  const p = plan(opts);
  if (!p) return null;
  const module = new WebAssembly.Module(p.bytes as BufferSource);
  return wrap(module, new WebAssembly.Instance(module, { env: { memory: p.memory } }), p);
}

/**
 * Instantiates the module asynchronously (works everywhere, including a browser's main thread).
 * Resolves to null when SIMD128 is unavailable.
 * @example
 * const inst = await instantiateAsync();
 */
export async function instantiateAsync(opts: InstantiateOptions = {}): Promise<WasmInstance | null> {
  const p = plan(opts);
  if (!p) return null;
  const module = await WebAssembly.compile(p.bytes as BufferSource);
  return wrap(module, await WebAssembly.instantiate(module, { env: { memory: p.memory } }), p);
}
