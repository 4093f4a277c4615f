/**
 * quantensor: a pure-TypeScript tensor library in which quantized formats are core dtypes.
 *
 * The package entry re-exports the public API by layer (DESIGN.md "The stack"): errors, dtypes,
 * tensors and ops, quantized tensors, the backend switch. Internal helpers (kernel refs, storage
 * views, the wasm loader) are not exported.
 *
 * @example
 * import { randn, quantize, dequantize, sub, norm } from 'quantensor';
 * const w = randn([256, 512], { seed: 1 });
 * const q = quantize(w, { dtype: 'int4', groupSize: 128 });
 * console.log(q.bitsPerWeight, norm(sub(w, dequantize(q))).item());
 */

// Errors.
export { QuantensorError, ShapeError, DTypeError, ValueError, FormatError, LinAlgError, MemoryError } from './errors.js';

// Dtypes: the one table and its helpers.
export {
  DTYPES,
  DTYPE_NAMES,
  DENSE_DTYPES,
  QUANT_DTYPES,
  SCALE_BITS,
  isDTypeName,
  isDenseDType,
  isQuantDType,
  denseInfo,
  quantInfo,
} from './dtype/table.js';
export type { DTypeName, DenseDType, QuantDType, ScaleDType, DTypeInfo, DenseFacts, QuantFacts, QuantFamily } from './dtype/table.js';
export { NF4_VALUES, FP4_E2M1_VALUES } from './dtype/codebooks.js';
export { toF16Bits, fromF16Bits, toBF16Bits, fromBF16Bits, roundToF16, roundToBF16 } from './dtype/half.js';
export { promoteTypes, resultType } from './dtype/promote.js';
export { packBits, unpackBits, packRows, unpackRows, packedBytes } from './dtype/pack.js';

// Tensors and ops.
export { Tensor, tensor, empty, shapeSize } from './tensor.js';
export type { NestedArray } from './tensor.js';
export * from './ops/index.js';

// Quantized tensors.
export { QTensor } from './qtensor.js';
export type { QParams } from './qtensor.js';
export { chooseQParams, quantize, dequantize, fakeQuantize, QUANTIZE_DEFAULTS } from './ops/quant.js';
export type { QuantizeOptions, GroupSizeOption } from './ops/quant.js';

// Backend.
export { setBackend, getBackend, ready, wasmAvailable } from './kernels/backend.js';
export type { BackendName, ActiveBackend } from './kernels/backend.js';
