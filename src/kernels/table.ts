/**
 * THE kernel table (DESIGN.md decision 3): every kernel name maps to its JS reference and, when
 * one exists, its WASM version, with the same signature and meaning. Static: entries are written
 * here, never registered by side effect. `kernel(name)` picks the version for the active backend.
 *
 * Kernels take one arguments object of `Ref`s and numbers (src/kernels/ref.ts): the JS version
 * views the storages as typed arrays, the WASM version passes pointers (copying operands that are
 * not in the wasm heap in and out, which is correct but slower).
 *
 * Adding a kernel family: JS reference in src/kernels/js/<family>.ts, AS exports in
 * assembly/<family>.ts declared in src/kernels/wasm/exports.ts, the WASM wrapper in
 * src/kernels/wasm/<family>.ts, then one line per kernel below and a parity test in
 * test/kernels/parity-<family>.test.ts.
 *
 * Not the dtype table: which dtype a kernel serves is in the kernel's name, facts stay in
 * src/dtype/table.ts.
 */
import { initBackend } from './backend.js';
import { gemmF32, gemmF64, gemvF32, gemvF64 } from './js/gemm.js';
import { gemmF32Wasm, gemmF64Wasm, gemvF32Wasm, gemvF64Wasm } from './wasm/gemm.js';

/** A kernel: its JS reference and an optional WASM version of the same type. */
export interface KernelEntry<F> {
  readonly js: F;
  readonly wasm?: F;
}

const entry = <F>(js: F, wasm?: F): KernelEntry<F> => (wasm ? { js, wasm } : { js });

/** Every kernel, by its snake_case name (the WASM export it wraps, when it has one). */
export const KERNELS = {
  gemm_f32: entry(gemmF32, gemmF32Wasm),
  gemm_f64: entry(gemmF64, gemmF64Wasm),
  gemv_f32: entry(gemvF32, gemvF32Wasm),
  gemv_f64: entry(gemvF64, gemvF64Wasm),
} as const;

/** Name of a kernel in the table. */
export type KernelName = keyof typeof KERNELS;
/** The function type of a kernel. */
export type KernelFn<N extends KernelName> = (typeof KERNELS)[N] extends KernelEntry<infer F> ? F : never;

/**
 * The version of kernel `name` for the active backend (initialising the backend on first use).
 * @example
 * kernel('gemm_f32')({ m, n, k, alpha: 1, a, rsa: k, csa: 1, b, rsb: n, csb: 1, beta: 0, c, rsc: n, csc: 1 });
 */
export function kernel<N extends KernelName>(name: N): KernelFn<N> {
  const e = KERNELS[name] as KernelEntry<KernelFn<N>>;
  return initBackend() === 'wasm' && e.wasm ? e.wasm : e.js;
}
