/**
 * The model layer's public API (re-exports only): the Llama-family forward pass, loading and saving,
 * perplexity, sequential quantization, and the charRNN LSTM.
 */
export { llamaConfig, type LlamaConfig } from './config.js';
export { LlamaModel, PROJECTIONS, type LlamaLayer, type Weight, type ProjectionName, type LinearGroup, type GroupObserver } from './llama.js';
export { loadLlama, openLlama, type OpenLlama } from './load.js';
export { perplexity, type CausalLM, type PerplexityOptions, type PerplexityResult } from './perplexity.js';
export {
  quantizeModel,
  QUANT_METHODS,
  LINEAR_GROUPS,
  type QuantMethod,
  type QuantizeModelOptions,
  type QuantizeModelResult,
  type QuantizeProgress,
  type LinearReport,
} from './quantize-model.js';
export { saveModel, loadModel, modelTensors, modelFromTensors, hfConfig, SAVE_FORMATS, type SaveFormat, type SaveModelOptions } from './save.js';
export { CharRnn, loadCharRnn, charRnnBitsPerChar, type LstmLayer, type CharRnnEval, type CharRnnEvalOptions } from './charrnn.js';
export { quantizeCharRnn, type CharRnnQuantOptions } from './charrnn-quant.js';
