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
 * assembly/<family>.ts declared in src/kernels/wasm/abi/<family>.ts, the WASM wrapper in
 * src/kernels/wasm/<family>.ts, then its rows in src/kernels/families/<family>.ts (joined below) and a parity test in
 * test/kernels/parity-<family>.test.ts.
 *
 * Not the dtype table: which dtype a kernel serves is in the kernel's name, facts stay in
 * src/dtype/table.ts.
 */
import { initBackend } from './backend.js';
import type { KernelEntry } from './entry.js';
import { GEMM_KERNELS } from './families/gemm.js';
import { LINALG_KERNELS } from './families/linalg.js';
import { QUANT_KERNELS } from './families/quant.js';
import { FWHT_KERNELS } from './families/fwht.js';
import { PVQ_KERNELS } from './families/pvq.js';
import { VQ_KERNELS } from './families/vq.js';
import { GPTQ_KERNELS } from './families/gptq.js';
import { COPY_KERNELS } from './families/copy.js';
import { ACT_KERNELS } from './families/act.js';

export type { KernelEntry } from './entry.js';

/** Every kernel, by its snake_case name (the WASM export it wraps, when it has one). */
export const KERNELS = {
  ...GEMM_KERNELS,
  ...LINALG_KERNELS,
  ...QUANT_KERNELS,
  ...FWHT_KERNELS,
  ...PVQ_KERNELS,
  ...VQ_KERNELS,
  ...GPTQ_KERNELS,
  ...COPY_KERNELS,
  ...ACT_KERNELS,
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
