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
  QTENSOR_DTYPES,
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
export type { NestedArray, NestedInput } from './tensor.js';
export * from './ops/index.js';

// Quantized tensors.
export { QTensor } from './qtensor.js';
export type { QParams, PvqRotation } from './qtensor.js';
export { chooseQParams, quantize, dequantize, fakeQuantize, QUANTIZE_DEFAULTS } from './ops/quant.js';
export type { QuantizeOptions, GroupSizeOption } from './ops/quant.js';

// Backend and threads.
export { setBackend, getBackend, ready, wasmAvailable, useRelaxedSimd } from './kernels/backend.js';
export type { BackendName, ActiveBackend } from './kernels/backend.js';
export { setThreads, getThreads, threadsReady, hardwareThreads } from './kernels/threads.js';

// Packed matmul: y = x Wᵀ on resident packed codes.
export { linear } from './ops/linear.js';
export type { LinearOptions } from './ops/linear.js';

// I/O: safetensors (single, sharded, lazy), the quantized format, GPTQ and AWQ layouts.
export { openSafetensors, loadSafetensors } from './io/safetensors.js';
export type { SafetensorsFile, TensorReader, TensorInfo } from './io/safetensors.js';
export { openCheckpoint, readConfig } from './io/checkpoint.js';
export type { Checkpoint, CheckpointFiles } from './io/checkpoint.js';
export { saveSafetensors, serializeSafetensors, saveCheckpoint } from './io/safetensors-write.js';
export { saveQuantized, serializeQuantized, saveQuantizedCheckpoint, openQuantized, loadQuantized } from './io/quantized.js';
export type { QuantizedReader, AnyTensor } from './io/quantized.js';
export { exportGptq, importGptq, qtensorToGptq, gptqToQTensor } from './io/gptq-format.js';
export type { GptqConfig, GptqFormat, GptqTensors } from './io/gptq-format.js';
export { exportAwq, importAwq, qtensorToAwq, awqToQTensor } from './io/awq-format.js';
export type { AwqConfig, AwqTensors } from './io/awq-format.js';

// Quantizers: calibration statistics, RTN, GPTQ, AWQ, PVQ, VQ.
export { HessianAccumulator, hessianOf, outputError } from './quantizers/hessian.js';
export { rtn } from './quantizers/rtn.js';
export type { RtnOptions } from './quantizers/rtn.js';
export { gptq, errorFeedback, prepareHessian } from './quantizers/gptq.js';
export type { GptqOptions, ColumnEncoder, ErrorFeedbackOptions } from './quantizers/gptq.js';
export { awq } from './quantizers/awq.js';
export type { AwqOptions, AwqLinear, AwqResult } from './quantizers/awq.js';
export type { QuantReport, QuantError } from './quantizers/report.js';
export { pvqQuantize, pvqGptq, pvqConfigForBits, PvqTensor, randomHadamard, RandomHadamard } from './quantizers/pvq/index.js';
export type { PvqOptions, PvqGptqOptions, PvqReport, PvqConfig } from './quantizers/pvq/index.js';
export { vqQuantize, VqTensor, kmeans } from './quantizers/vq/index.js';
export type { VqOptions, KMeansOptions, KMeansResult } from './quantizers/vq/index.js';

// Models: a Llama-family forward pass, perplexity, sequential calibration; a char-level LSTM.
export { LlamaModel } from './models/llama.js';
export { loadLlama } from './models/load.js';
export { perplexity } from './models/perplexity.js';
export type { PerplexityResult, PerplexityOptions } from './models/perplexity.js';
export { quantizeModel, QUANT_METHODS } from './models/quantize-model.js';
export type { QuantizeModelOptions, QuantizeModelResult, QuantMethod, LinearReport } from './models/quantize-model.js';
export { loadModel, saveModel, modelTensors, modelFromTensors, hfConfig, SAVE_FORMATS } from './models/save.js';
export type { SaveFormat, SaveModelOptions } from './models/save.js';
export { CharRnn, loadCharRnn, charRnnBitsPerChar } from './models/charrnn.js';
export { quantizeCharRnn } from './models/charrnn-quant.js';
