/**
 * Saving and reloading a (possibly quantized) Llama-family model as a checkpoint directory:
 * config.json in Hugging Face keys plus sharded safetensors in the library's quantized format
 * (src/io/quantized.ts: QTensors as their parts, described in the metadata), under the Hugging Face
 * tensor names. Not the GPTQ/AutoGPTQ export (src/io/gptq-format.ts) and not the formats themselves.
 */
import { writeFileAtomic } from '../io/atomic.js';
import { readConfig } from '../io/checkpoint.js';
import { loadQuantized, saveQuantizedCheckpoint, type AnyTensor } from '../io/quantized.js';
import { FormatError } from '../errors.js';
import { QTensor } from '../qtensor.js';
import { Tensor } from '../tensor.js';
import { llamaConfig, type LlamaConfig } from './config.js';
import { LlamaModel, type LlamaLayer } from './llama.js';
import { layerTensorNames } from './load.js';

/** The config in Hugging Face `config.json` keys. */
export function hfConfig(c: LlamaConfig): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: c.hiddenSize,
    intermediate_size: c.intermediateSize,
    num_hidden_layers: c.numLayers,
    num_attention_heads: c.numHeads,
    num_key_value_heads: c.numKvHeads,
    head_dim: c.headDim,
    vocab_size: c.vocabSize,
    rms_norm_eps: c.rmsNormEps,
    rope_theta: c.ropeTheta,
    rope_parameters: { rope_theta: c.ropeTheta, rope_type: 'default' },
    tie_word_embeddings: c.tieWordEmbeddings,
    max_position_embeddings: c.maxPositionEmbeddings,
    hidden_act: 'silu',
    attention_bias: false,
    mlp_bias: false,
  };
}

/**
 * Writes `model` to `dir` (created if needed): config.json and safetensors shards, QTensors in the
 * quantized format. Files are written atomically.
 * @example
 * await saveModel(quantized, 'out/tiny-w4');
 * const again = await loadQuantizedLlama('out/tiny-w4');
 */
export async function saveModel(model: LlamaModel, dir: string, opts: { maxShardBytes?: number } = {}): Promise<void> {
  const tensors: Record<string, AnyTensor> = { 'model.embed_tokens.weight': model.embedTokens, 'model.norm.weight': model.norm };
  if (model.lmHead !== model.embedTokens) tensors['lm_head.weight'] = model.lmHead;
  model.layers.forEach((l, i) => {
    const names = layerTensorNames(i);
    for (const k of Object.keys(names) as (keyof LlamaLayer)[]) tensors[names[k]] = l[k];
  });
  await saveQuantizedCheckpoint(dir, tensors, { maxShardBytes: opts.maxShardBytes });
  const { join } = await import('node:path');
  await writeFileAtomic(join(dir, 'config.json'), new TextEncoder().encode(JSON.stringify(hfConfig(model.config), null, 2)));
}

/**
 * Loads a directory written by `saveModel` (or any checkpoint in the quantized format, dense
 * tensors widened to f32).
 * @throws FormatError when a tensor is missing or a norm/embedding is quantized
 * @example
 * const model = await loadQuantizedLlama('out/tiny-w4');
 */
export async function loadQuantizedLlama(dir: string): Promise<LlamaModel> {
  const config = llamaConfig(await readConfig(dir));
  const { tensors } = await loadQuantized({ checkpoint: dir });
  const take = (name: string): AnyTensor => {
    const t = tensors[name];
    if (!t) throw new FormatError(`${dir}: no tensor ${name}`);
    if (t instanceof QTensor || t.dtype === 'f32') return t;
    const f = t.astype('f32');
    t.dispose();
    return f;
  };
  const dense = (name: string): Tensor => {
    const t = take(name);
    if (!(t instanceof Tensor)) throw new FormatError(`${dir}: ${name} must be a dense tensor`);
    return t;
  };
  const embed = dense('model.embed_tokens.weight');
  const layers: LlamaLayer[] = [];
  for (let i = 0; i < config.numLayers; i++) {
    const n = layerTensorNames(i);
    layers.push({
      inputNorm: dense(n.inputNorm), postNorm: dense(n.postNorm),
      q: take(n.q), k: take(n.k), v: take(n.v), o: take(n.o), gate: take(n.gate), up: take(n.up), down: take(n.down),
    });
  }
  const head = tensors['lm_head.weight'] ? take('lm_head.weight') : embed;
  return new LlamaModel(config, embed, layers, dense('model.norm.weight'), head);
}
