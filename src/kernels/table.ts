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
import {
  choleskyF32,
  choleskyF64,
  choleskyInverseF32,
  choleskyInverseF64,
  syrkF32,
  syrkF64,
  triInvF32,
  triInvF64,
  trsmF32,
  trsmF64,
} from './js/linalg.js';
import { gemmF32Wasm, gemmF64Wasm, gemvF32Wasm, gemvF64Wasm } from './wasm/gemm.js';
import {
  choleskyF32Wasm,
  choleskyF64Wasm,
  choleskyInverseF32Wasm,
  choleskyInverseF64Wasm,
  syrkF32Wasm,
  syrkF64Wasm,
  triInvF32Wasm,
  triInvF64Wasm,
  trsmF32Wasm,
  trsmF64Wasm,
} from './wasm/linalg.js';

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
  cholesky_f32: entry(choleskyF32, choleskyF32Wasm),
  cholesky_f64: entry(choleskyF64, choleskyF64Wasm),
  trsm_f32: entry(trsmF32, trsmF32Wasm),
  trsm_f64: entry(trsmF64, trsmF64Wasm),
  tri_inv_f32: entry(triInvF32, triInvF32Wasm),
  tri_inv_f64: entry(triInvF64, triInvF64Wasm),
  syrk_f32: entry(syrkF32, syrkF32Wasm),
  syrk_f64: entry(syrkF64, syrkF64Wasm),
  cholesky_inverse_f32: entry(choleskyInverseF32, choleskyInverseF32Wasm),
  cholesky_inverse_f64: entry(choleskyInverseF64, choleskyInverseF64Wasm),
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
