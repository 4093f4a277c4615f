/**
 * The typed interface of the kernel module's exports (pointer-and-count ABI: pointers are byte
 * offsets into the shared memory, counts and strides are in elements). `WASM_EXPORT_ARITY` lists
 * every export with its parameter count; the loader and a test check the instance against it, so
 * an AS signature change that is not mirrored here fails loudly instead of misreading arguments.
 *
 * One file per family in abi/ (so families are added without touching each other's lines); this file
 * only joins them.
 *
 * Not the kernels' TS signatures: those take `Ref`s and live in src/kernels/table.ts.
 */

import { CORE_ARITY, type CoreExports } from './abi/core.js';
import { GEMM_ARITY, type GemmExports } from './abi/gemm.js';
import { LINALG_ARITY, type LinalgExports } from './abi/linalg.js';
import { QUANT_ARITY, type QuantExports } from './abi/quant.js';
import { FWHT_ARITY, type FwhtExports } from './abi/fwht.js';
import { PVQ_ARITY, type PvqExports } from './abi/pvq.js';
import { VQ_ARITY, type VqExports } from './abi/vq.js';
import { GPTQ_ARITY, type GptqExports } from './abi/gptq.js';
import { COPY_ARITY, type CopyExports } from './abi/copy.js';
import { ACT_ARITY, type ActExports } from './abi/act.js';

/** Exports of build/quantensor.wasm. */
export interface WasmExports
  extends CoreExports, GemmExports, LinalgExports, QuantExports, FwhtExports, PvqExports, VqExports, GptqExports, CopyExports, ActExports {}

/** Parameter count of every export (functions only; `memory` is the imported memory re-exported). */
export const WASM_EXPORT_ARITY = {
  ...CORE_ARITY,
  ...GEMM_ARITY,
  ...LINALG_ARITY,
  ...QUANT_ARITY,
  ...FWHT_ARITY,
  ...PVQ_ARITY,
  ...VQ_ARITY,
  ...GPTQ_ARITY,
  ...COPY_ARITY,
  ...ACT_ARITY,
} as const satisfies Record<keyof WasmExports, number>;
