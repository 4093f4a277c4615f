/**
 * Saving and loading a (possibly quantized) Llama-family model as a checkpoint directory, in either
 * layout, with config.json in Hugging Face keys and the Hugging Face tensor names:
 * - 'quantensor': the library's own format (src/io/quantized.ts): every QTensor dtype and qparam
 *   (fp4, nf4, mxfp4, codebook, AWQ input scales, act-order permutations) and PvqTensors, read back
 *   exactly;
 * - 'gptq': the Hugging Face GPTQ layout (src/io/gptq-format.ts) that AutoGPTQ, GPTQModel and
 *   transformers load: int2/3/4/8 affine projections sharing one bits and group size, no input scales.
 * `loadModel` tells them apart by the GPTQ quantization config; plain bf16/f16/f32 checkpoints load
 * too. Dense tensors (embedding, norms) are kept f32 on save: after AWQ a norm carries folded scales.
 *
 * Not the formats themselves (src/io) and not the model (llama.ts).
 */
import { FormatError, ValueError, checkOptions, describeValue, withOp } from '../errors.js';
import { checkPath, checkRecord } from '../io/args.js';
import { writeFileAtomic } from '../io/atomic.js';
import { readConfig } from '../io/checkpoint.js';
import { exportGptq, importGptq } from '../io/gptq-format.js';
import { loadQuantized, saveQuantizedCheckpoint, type TensorCodec } from '../io/quantized.js';
import { importFs } from '../io/sources.js';
import { QTensor } from '../qtensor.js';
import { PvqTensor, type PvqRotation } from '../quantizers/pvq/pvq-tensor.js';
import { Tensor } from '../tensor.js';
import { llamaConfig, type LlamaConfig } from './config.js';
import { LlamaModel, PROJECTIONS, checkLlamaModel, type LlamaLayer, type Weight } from './llama.js';
import { layerTensorNames } from './load.js';

/**
 * Checkpoint layouts `saveModel` writes.
 * @example
 * for (const format of SAVE_FORMATS) await saveModel(model, `out/${format}`, { format });
 */
export const SAVE_FORMATS = ['quantensor', 'gptq'] as const;
/** A checkpoint layout. */
export type SaveFormat = (typeof SAVE_FORMATS)[number];

/** Options of `saveModel`. */
export interface SaveModelOptions {
  /** Layout (default 'quantensor'). */
  readonly format?: SaveFormat;
  /** Shard size of the safetensors files (default: the writer's). */
  readonly maxShardBytes?: number;
}

/** The numeric LlamaConfig fields hfConfig writes. */
const HF_NUMBERS = ['hiddenSize', 'intermediateSize', 'numLayers', 'numHeads', 'numKvHeads', 'headDim', 'vocabSize', 'rmsNormEps', 'ropeTheta', 'maxPositionEmbeddings'] as const;

/**
 * The config in Hugging Face `config.json` keys (what `saveModel` writes as config.json).
 * @throws ValueError when `c` is not a LlamaConfig (a field missing or of the wrong type)
 * @example
 * const model = await loadModel('out/tiny-w4');
 * hfConfig(model.config).num_hidden_layers === model.config.numLayers
 */
export function hfConfig(c: LlamaConfig): Record<string, unknown> {
  if (typeof c !== 'object' || c === null) throw new ValueError(`hfConfig: the config must be a LlamaConfig (model.config), got ${describeValue(c)}`);
  for (const k of HF_NUMBERS) {
    if (typeof c[k] !== 'number') throw new ValueError(`hfConfig: config.${k} must be a number, got ${describeValue(c[k])}`);
  }
  if (typeof c.tieWordEmbeddings !== 'boolean') throw new ValueError(`hfConfig: config.tieWordEmbeddings must be a boolean, got ${describeValue(c.tieWordEmbeddings)}`);
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
 * Every tensor of the model by its Hugging Face name (the head only when it is not tied).
 * @example
 * Object.keys(modelTensors(model)).length; // 2 + 9 per layer (+ lm_head when untied)
 */
export function modelTensors(model: LlamaModel): Record<string, Weight> {
  checkLlamaModel('modelTensors', model);
  const out: Record<string, Weight> = { 'model.embed_tokens.weight': model.embedTokens, 'model.norm.weight': model.norm };
  model.layers.forEach((l, i) => {
    const names = layerTensorNames(i);
    for (const k of Object.keys(names) as (keyof LlamaLayer)[]) out[names[k]] = l[k];
  });
  if (model.lmHead !== model.embedTokens) out['lm_head.weight'] = model.lmHead;
  return out;
}

/**
 * How a PvqTensor is stored in the 'quantensor' format: its codes, row scales and level table as
 * parts, its layout (dim, pulses, amplitude bits, scale dtype, rotation) as params.
 * @example
 * await saveQuantizedCheckpoint(dir, { 'w': pvqTensor }, { codecs: [PVQ_CODEC] });
 */
export const PVQ_CODEC: TensorCodec<PvqTensor> = {
  kind: 'pvq',
  matches: (x): x is PvqTensor => x instanceof PvqTensor,
  encode: (q) => ({
    shape: [...q.shape],
    tensors: { codes: q.codes, scales: q.scales, levels: q.levels },
    params: { dim: q.dim, pulses: q.pulses, ampBits: q.ampBits, scaleDtype: q.scaleDtype, rotation: q.rotation },
  }),
  decode: (t, p, shape) =>
    new PvqTensor(shape, p.dim as number, p.pulses as number, p.ampBits as number, t.codes, t.scales, p.scaleDtype as 'f16', t.levels, (p.rotation ?? null) as PvqRotation | null),
};

function f32(t: Weight, name: string, label: string): Tensor {
  if (!(t instanceof Tensor)) throw new FormatError(`${label}: ${name} is quantized, but the model keeps it dense`);
  if (t.dtype === 'f32') return t;
  const f = t.astype('f32');
  t.dispose();
  return f;
}

/**
 * A model from a config.json object and tensors by Hugging Face name; projections (and the head) may
 * be QTensors, norms and the embedding are widened to f32.
 * @throws FormatError naming the missing or wrongly quantized tensor
 * @example
 * const { tensors } = await importGptq(dir);
 * const model = modelFromTensors(await readConfig(dir), tensors, dir);
 */
export function modelFromTensors(raw: unknown, tensors: Readonly<Record<string, Weight>>, label: string): LlamaModel {
  checkRecord('modelFromTensors', tensors, 'tensors');
  return withOp('modelFromTensors', () => buildModel(raw, tensors, label));
}

/** modelFromTensors without the argument checks and the name prefix (for loadModel). */
function buildModel(raw: unknown, tensors: Readonly<Record<string, Weight>>, label: string): LlamaModel {
  const config = llamaConfig(raw);
  const get = (n: string): Weight => {
    const t = tensors[n];
    if (!t) throw new FormatError(`${label}: checkpoint has no tensor ${n}`);
    return t;
  };
  const embed = f32(get('model.embed_tokens.weight'), 'model.embed_tokens.weight', label);
  const layers: LlamaLayer[] = [];
  for (let i = 0; i < config.numLayers; i++) {
    const n = layerTensorNames(i);
    const l = { inputNorm: f32(get(n.inputNorm), n.inputNorm, label), postNorm: f32(get(n.postNorm), n.postNorm, label) } as LlamaLayer;
    for (const p of PROJECTIONS) {
      const w = get(n[p]);
      l[p] = w instanceof Tensor ? f32(w, n[p], label) : w;
    }
    layers.push(l);
  }
  const norm = f32(get('model.norm.weight'), 'model.norm.weight', label);
  const head = tensors['lm_head.weight'];
  const lmHead = !head || config.tieWordEmbeddings ? embed : head instanceof Tensor ? f32(head, 'lm_head.weight', label) : head;
  return new LlamaModel(config, embed, layers, norm, lmHead);
}

/**
 * Writes `model` to `dir` (created if needed): config.json and safetensors shards in `format`. Every
 * file is written atomically.
 * @throws ValueError when the GPTQ layout cannot hold the model (a non-affine dtype, AWQ input scales,
 *   mixed bits or group sizes)
 * @example
 * await saveModel(quantized, 'out/tiny-w4');
 * await saveModel(quantized, 'out/tiny-w4-gptq', { format: 'gptq' });
 * const again = await loadModel('out/tiny-w4');
 */
export async function saveModel(model: LlamaModel, dir: string, opts: SaveModelOptions = {}): Promise<void> {
  checkLlamaModel('saveModel', model);
  checkPath('saveModel', dir, 'dir');
  checkOptions('saveModel', opts);
  const tensors = modelTensors(model);
  if ((opts.format ?? 'quantensor') === 'gptq') {
    const plain: Record<string, Tensor | QTensor> = {};
    for (const [name, w] of Object.entries(tensors)) {
      if (w instanceof PvqTensor) throw new ValueError(`${name}: the GPTQ layout has no pyramid vector codes (PVQ); save in the 'quantensor' format`);
      if (w instanceof QTensor && w.qparams.inputScale) {
        throw new ValueError(`${name}: the GPTQ layout has no per-channel input scale (AWQ); save in the 'quantensor' format`);
      }
      plain[name] = w;
    }
    await exportGptq(dir, plain, { config: hfConfig(model.config), maxShardBytes: opts.maxShardBytes });
    return;
  }
  await saveQuantizedCheckpoint(dir, tensors, { maxShardBytes: opts.maxShardBytes, codecs: [PVQ_CODEC] });
  const { join } = await import('node:path');
  await writeFileAtomic(join(dir, 'config.json'), new TextEncoder().encode(JSON.stringify(hfConfig(model.config), null, 2)));
}

/** Whether `dir` holds a checkpoint in the GPTQ layout. */
async function isGptq(dir: string): Promise<boolean> {
  // node:fs and node:path are loaded on demand so the package entry stays importable in browsers.
  const fs = await importFs();
  const { join } = await import('node:path');
  const hasFile = await fs.access(join(dir, 'quantize_config.json')).then(() => true, () => false);
  if (hasFile) return true;
  const qc = (await readConfig(dir)).quantization_config as Record<string, unknown> | undefined;
  return qc?.quant_method === 'gptq';
}

/**
 * Loads a Llama-family checkpoint directory in any layout: plain (bf16/f16/f32), the library's own
 * quantized format, or the GPTQ layout. Quantized projections stay QTensors and run on the packed
 * kernels; the whole checkpoint is read (use quantizeModel with a directory to stream one block at a
 * time).
 * @throws FormatError naming a missing tensor or an unsupported layout
 * @example
 * const model = await loadModel('out/tiny-w4');
 * perplexity(model, text).ppl;
 */
export async function loadModel(dir: string): Promise<LlamaModel> {
  checkPath('loadModel', dir, 'dir');
  const raw = await readConfig(dir);
  const { tensors } = (await isGptq(dir)) ? await importGptq(dir) : await loadQuantized({ checkpoint: dir }, { codecs: [PVQ_CODEC] });
  return buildModel(raw, tensors as Record<string, Weight>, dir);
}
