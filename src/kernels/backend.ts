/**
 * The backend switch (DESIGN.md decision 3): `auto` (default) runs the WASM kernels when
 * WebAssembly SIMD128 is available and the JS reference kernels otherwise; `wasm` and `js` force a
 * choice (`wasm` still degrades to JS when the feature is missing: it never throws).
 *
 * Initialisation is lazy and synchronous: loading this module registers a callback with the storage
 * layer (`setHeapInit`), so the first tensor allocation (or the first kernel lookup, whichever
 * comes first) instantiates the embedded module and makes its heap the home of new tensors. Where
 * synchronous compilation is refused (a browser's main thread) the library runs on JS until
 * `await ready()` has instantiated the module asynchronously.
 *
 * Not the kernel table (table.ts) and not the loader (wasm/module.ts).
 */
import { ValueError, describeValue } from '../errors.js';
import { setHeap, setHeapInit } from '../memory/storage.js';
import { hasRelaxedSimd } from './wasm/module.js';
import { createRuntimeAsync, createRuntimeSync, type WasmRuntime } from './wasm/runtime.js';

/** A backend request. */
export type BackendName = 'auto' | 'wasm' | 'js';
/** The backend actually running kernels. */
export type ActiveBackend = 'wasm' | 'js';

let requested: BackendName = 'auto';
let active: ActiveBackend | null = null;
let runtime: WasmRuntime | null = null;
/** Whether instantiation was attempted (it is attempted once; a failure means JS). */
let attempted = false;
let loadError: unknown = null;
/** Whether instantiation should take the relaxed-SIMD build (useRelaxedSimd). */
let wantRelaxed = false;

function loadSync(): WasmRuntime | null {
  if (!attempted) {
    attempted = true;
    try {
      runtime = createRuntimeSync({ relaxed: wantRelaxed });
    } catch (e) {
      // A browser main thread refuses synchronous compilation of large modules: `ready()` retries.
      loadError = e;
      runtime = null;
    }
  }
  return runtime;
}

function activate(): ActiveBackend {
  const rt = requested === 'js' ? null : loadSync();
  active = rt ? 'wasm' : 'js';
  setHeap(rt ? rt.heap : null);
  return active;
}

/**
 * Initialises the backend if needed and returns the active one. Called by the kernel table and,
 * through the storage layer's init hook, by the first allocation.
 * @example
 * initBackend(); // 'wasm' in Node 20
 */
export function initBackend(): ActiveBackend {
  return active ?? activate();
}

setHeapInit(initBackend);

/**
 * Chooses the backend. New tensors are allocated in the wasm heap while `wasm` is active and in
 * plain ArrayBuffers under `js`; existing tensors keep their storage and work with either backend.
 * @example
 * setBackend('js');   // reference kernels only
 * setBackend('auto'); // wasm when SIMD128 is available
 */
export function setBackend(name: BackendName): void {
  if (name !== 'auto' && name !== 'wasm' && name !== 'js') {
    throw new ValueError(`setBackend: backend must be 'auto', 'wasm' or 'js', got ${describeValue(name)}`);
  }
  requested = name;
  activate();
}

/**
 * Opts in to (or out of) the relaxed-SIMD build of the kernels (DESIGN.md decision 3: relaxed SIMD
 * is opt-in only). Its float kernels (GEMM, GEMV, SYRK, Cholesky, triangular solve and inverse) fuse
 * each multiply-add, one rounding instead of two: faster where the CPU has FMA, within the same
 * tolerance of the JS reference, but not the same bits as the default build. Its int4 x int8 GEMV
 * (`qmatmul_i8` on fused int4 weights, groups of 32, 64 or 128) multiplies bytes, 16 products per
 * instruction instead of 8, and its 4-bit table lookups (nf4, fp4, mxfp4) use relaxed swizzles:
 * both with the same bits as the default build. The build is chosen
 * when the module is instantiated (the first tensor or kernel call), so opt in before that. Returns
 * whether the relaxed build runs (or will): false where the runtime lacks relaxed SIMD (Node 20
 * without --experimental-wasm-relaxed-simd), which keeps the SIMD128 build; it never throws for that.
 * @throws ValueError when the module already runs the other build, or for an `on` that is not a boolean
 * @example
 * useRelaxedSimd(); // true on Node 22+, or on Node 20 started with --experimental-wasm-relaxed-simd
 */
export function useRelaxedSimd(on = true): boolean {
  if (typeof on !== 'boolean') throw new ValueError(`useRelaxedSimd: on must be a boolean, got ${describeValue(on)}`);
  const relaxed = on && hasRelaxedSimd();
  if (runtime && runtime.relaxed !== relaxed) {
    throw new ValueError(
      `useRelaxedSimd(${on}): the ${runtime.relaxed ? 'relaxed-SIMD' : 'SIMD128'} build is already running; choose before the first tensor is created`,
    );
  }
  wantRelaxed = on;
  return relaxed;
}

/**
 * The backend running kernels now ('wasm' or 'js'), initialising it if needed.
 * @example
 * if (getBackend() === 'js') console.log('no WebAssembly SIMD here');
 */
export function getBackend(): ActiveBackend {
  return initBackend();
}

/**
 * Instantiates the module asynchronously (needed on a browser's main thread; harmless elsewhere)
 * and resolves to the active backend.
 * @example
 * await ready();
 */
export async function ready(): Promise<ActiveBackend> {
  if (requested !== 'js' && !runtime) {
    try {
      runtime = await createRuntimeAsync({ relaxed: wantRelaxed });
      loadError = null;
    } catch (e) {
      loadError = e;
    }
    attempted = true;
  }
  return activate();
}

/**
 * The wasm runtime, instantiating it if needed even while the JS backend is active (parity tests
 * and the wasm kernel wrappers use it). Throws when WebAssembly SIMD128 is unavailable.
 * @example
 * const rt = wasmRuntime(); rt.heap.stats();
 */
export function wasmRuntime(): WasmRuntime {
  const rt = loadSync();
  if (!rt) {
    const why = loadError ? `: ${(loadError as Error).message}` : ' (WebAssembly SIMD128 is not supported here)';
    throw new Error(`the quantensor wasm module is not available${why}`);
  }
  return rt;
}

/**
 * Whether the wasm module can run here (instantiating it if needed).
 * @example
 * if (wasmAvailable()) setBackend('wasm');
 */
export function wasmAvailable(): boolean {
  return loadSync() !== null;
}
